package io.rewind.service;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The points topic as the tap and the archiver check it: it must exist, and Rewind never creates it, because its
 * partitions are the archive's unit of parallelism (a series always lands in one partition), which only the operator
 * can choose.
 */
public final class PointsTopic {
    private PointsTopic() {
    }

    /** Of a component's Kafka client settings, those an admin client takes, with the bootstrap servers. */
    public static Properties adminProperties(String bootstrapServers, Map<?, ?> kafka) {
        Properties props = new Properties();
        kafka.forEach((key, value) -> {
            if (AdminClientConfig.configNames().contains(String.valueOf(key))) {
                props.put(String.valueOf(key), value);
            }
        });
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return props;
    }

    /**
     * Whether the topic exists.
     *
     * @return false only when Kafka answered that it does not
     * @throws TimeoutException when Kafka did not answer in time
     * @throws ExecutionException another error of Kafka's
     */
    public static boolean exists(Admin admin, String topic, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            admin.describeTopics(Set.of(topic)).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return false;
            }
            throw e;
        }
    }

    /** That the topic is missing, and the command that creates it. */
    public static String missing(String topic, String bootstrapServers) {
        return "topic '" + topic + "' does not exist in " + bootstrapServers + "; create it with as many partitions as archiver threads"
                + " you will ever want: kafka-topics.sh --bootstrap-server " + bootstrapServers + " --create --topic " + topic
                + " --partitions 12 --replication-factor 3";
    }
}
