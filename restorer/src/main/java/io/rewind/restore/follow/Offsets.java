package io.rewind.restore.follow;

import io.rewind.restore.source.KafkaTail;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/** A follower group's offsets in the points topic, read and set through Kafka's admin API. */
final class Offsets {
    private Offsets() {
    }

    /**
     * The group's committed offsets in the topic; refuses a group that follows something else (another fingerprint in its
     * offsets' metadata; null: any), and, when {@code mustBeIdle}, a group with a member running.
     */
    static Map<Integer, Long> committed(KafkaTail.Settings kafka, String group, String fingerprint, boolean mustBeIdle) {
        try (Admin admin = Admin.create(admin(kafka))) {
            if (mustBeIdle) {
                org.apache.kafka.clients.admin.ConsumerGroupDescription description;
                try {
                    description = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                            .get(kafka.timeout().toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException)) {
                        throw e;
                    }
                    description = null; // a group that never was: no member runs
                }
                if (description != null && !description.members().isEmpty()) {
                    throw new IllegalStateException("a follower of the group '" + group + "' runs (" + description.members().size()
                            + " member(s), e.g. " + description.members().iterator().next().host() + "): stop it first, or follow"
                            + " into another target with another --group");
                }
            }
            Map<Integer, Long> offsets = new TreeMap<>();
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(kafka.timeout().toMillis(), TimeUnit.MILLISECONDS).forEach((tp, offset) -> {
                        if (tp.topic().equals(kafka.topic()) && offset != null) {
                            if (fingerprint != null && !fingerprint.equals(offset.metadata())) {
                                throw new IllegalStateException("the group '" + group + "' follows '" + kafka.topic() + "' with another"
                                        + " selection, transforms or target (its offsets say so): name another --group for this one, or"
                                        + " pass --fresh to restore this one into its target and follow from there");
                            }
                            offsets.put(tp.partition(), offset.offset());
                        }
                    });
            return offsets;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the offsets of the group '" + group + "'", e);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw failure("reading", kafka, group, e);
        }
    }

    static void commit(KafkaTail.Settings kafka, String group, String fingerprint, Map<Integer, Long> offsets) {
        try (Admin admin = Admin.create(admin(kafka))) {
            admin.alterConsumerGroupOffsets(group, offsets.entrySet().stream().collect(Collectors.toMap(
                    e -> new TopicPartition(kafka.topic(), e.getKey()), e -> new OffsetAndMetadata(e.getValue(), fingerprint))))
                    .all().get(kafka.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while setting the offsets of the group '" + group + "'", e);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw failure("setting", kafka, group, e);
        }
    }

    /** Deletes the group (its offsets); nothing when it does not exist. Its members must have left. */
    static void delete(KafkaTail.Settings kafka, String group) {
        try (Admin admin = Admin.create(admin(kafka))) {
            admin.deleteConsumerGroups(List.of(group)).all().get(kafka.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while deleting the group '" + group + "'", e);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException)) {
                throw failure("deleting", kafka, group, e);
            }
        } catch (TimeoutException | KafkaException e) {
            throw failure("deleting", kafka, group, e);
        }
    }

    private static IllegalStateException failure(String doing, KafkaTail.Settings kafka, String group, Exception e) {
        Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
        return new IllegalStateException(doing + " the offsets of the follower group '" + group + "' in '" + kafka.topic() + "' at "
                + kafka.kafka().getOrDefault("bootstrap.servers", "?") + ": " + cause.getMessage(), cause);
    }

    private static Properties admin(KafkaTail.Settings kafka) {
        Properties props = new Properties();
        props.putAll(kafka.kafka());
        props.putIfAbsent("client.id", "rewind-follow-admin");
        return props;
    }
}
