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
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/** A follower group's offsets in the points topic, read and set through Kafka's admin API. */
final class Offsets {
    private Offsets() {
    }

    /**
     * Where a follower of the group starts, read in one admin session: the group's committed offsets in the topic when it has
     * followed before and not {@code fresh} (refused when they carry another fingerprint); else empty, a restore must run
     * first, which needs no member of the group running, and {@code fresh} deletes the group so that an interrupted fresh
     * restore never continues from its old offsets.
     */
    static Map<Integer, Long> start(KafkaTail.Settings kafka, String group, String fingerprint, boolean fresh) {
        String doing = "reading";
        try (Admin admin = Admin.create(admin(kafka))) {
            if (!fresh) {
                Map<Integer, Long> offsets = committed(admin, kafka, group, fingerprint);
                if (!offsets.isEmpty()) {
                    return offsets;
                }
            }
            requireIdle(admin, kafka, group);
            if (fresh) {
                doing = "deleting";
                try {
                    admin.deleteConsumerGroups(List.of(group)).all().get(kafka.timeout().toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                        throw e;
                    }
                }
            }
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + doing + " the offsets of the group '" + group + "'", e);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw failure(doing, kafka, group, e);
        }
    }

    private static Map<Integer, Long> committed(Admin admin, KafkaTail.Settings kafka, String group, String fingerprint)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<Integer, Long> offsets = new TreeMap<>();
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(kafka.timeout().toMillis(), TimeUnit.MILLISECONDS).forEach((tp, offset) -> {
                    if (tp.topic().equals(kafka.topic()) && offset != null) {
                        if (!fingerprint.equals(offset.metadata())) {
                            throw new IllegalStateException("the group '" + group + "' follows '" + kafka.topic() + "' with another"
                                    + " selection, transforms or target (its offsets say so): name another --group for this one, or"
                                    + " pass --fresh to restore this one into its target and follow from there");
                        }
                        offsets.put(tp.partition(), offset.offset());
                    }
                });
        return offsets;
    }

    /** Refuses a group with a member running; a group that never was has none. */
    private static void requireIdle(Admin admin, KafkaTail.Settings kafka, String group)
            throws InterruptedException, ExecutionException, TimeoutException {
        ConsumerGroupDescription description;
        try {
            description = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                    .get(kafka.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                throw e;
            }
            return;
        }
        if (!description.members().isEmpty()) {
            throw new IllegalStateException("a follower of the group '" + group + "' runs (" + description.members().size()
                    + " member(s), e.g. " + description.members().iterator().next().host() + "): stop it first, or follow"
                    + " into another target with another --group");
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
