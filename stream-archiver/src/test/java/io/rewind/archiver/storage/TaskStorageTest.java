package io.rewind.archiver.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class TaskStorageTest {
    @TempDir
    Path dir;

    @Test
    void aRevokedTaskWaitsForItsCallUnderWayAndMakesNoOtherCall() throws Exception {
        CountDownLatch putting = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        try (LocalStorage local = new LocalStorage(dir)) {
            // The local storage, with a put of bytes that waits for a signal before it writes.
            Storage slowPut = (Storage) Proxy.newProxyInstance(Storage.class.getClassLoader(), new Class<?>[] {Storage.class}, (proxy, method, args) -> {
                if (method.getName().equals("put") && args[1] instanceof byte[]) {
                    putting.countDown();
                    finish.await();
                }
                try {
                    return method.invoke(local, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
            TaskStorage task = new TaskStorage(slowPut);
            CompletableFuture<Void> put = CompletableFuture.runAsync(() -> {
                try {
                    task.put("v1/points/segment-1.avro", new byte[] {1, 2, 3});
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(putting.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(task.revoke(Duration.ofMillis(50))).as("idle while a put is under way").isFalse();
            finish.countDown();
            put.get(10, TimeUnit.SECONDS);
            assertThat(task.revoke(Duration.ofSeconds(10))).isTrue();
            assertThatThrownBy(() -> task.put("v1/points/segment-1.avro.sha256", new byte[] {4})).isInstanceOf(TaskStorage.Revoked.class);
            assertThat(local.stat("v1/points/segment-1.avro")).isPresent();
            assertThat(local.stat("v1/points/segment-1.avro.sha256")).isEmpty();
        }
    }
}
