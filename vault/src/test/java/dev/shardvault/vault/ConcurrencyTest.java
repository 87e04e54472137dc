package dev.shardvault.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.vault.Client.Answer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class ConcurrencyTest extends ClusterTestBase {


    @RepeatedTest(3)
    void twoConcurrentCreatesOfOneNameGiveExactlyOne201() throws Exception {
        int racers = 8;
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Answer>> answers = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                int racer = i;
                answers.add(pool.submit(() -> {
                    go.await();
                    return cluster.client(1 + racer % 5).create("RACE", "racer-" + racer);
                }));
            }
            go.countDown();
            int created = 0;
            String winner = null;
            for (Future<Answer> future : answers) {
                Answer answer = future.get();
                if (answer.status() == 201) {
                    created++;
                    winner = answer.body().toString();
                } else {
                    assertTrue(answer.status() == 409, "a losing create is 409 (exists or write conflict): " + answer);
                }
            }
            assertEquals(1, created);
            String value = cluster.client(3).read("RACE").value();
            assertTrue(value.startsWith("racer-"), winner);
            assertEquals(1, cluster.client(2).history("RACE").body().getJsonArray("versions").size());
        }
    }

    @Test
    void concurrentUpdatesGetGapFreeUniqueVersions() throws Exception {
        cluster.client(1).create("COUNTER", "0");
        int writers = 6;
        int perWriter = 6;
        Map<Long, String> acknowledged = new ConcurrentHashMap<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perWriter; i++) {
                        String value = "w" + writer + "-" + i;
                        Answer answer = cluster.client(1 + (writer + i) % 5).update("COUNTER", value);
                        if (answer.status() == 200) {
                            String previous = acknowledged.putIfAbsent(answer.version(), value);
                            assertEquals(null, previous, "version " + answer.version() + " acknowledged twice");
                        } else {
                            assertEquals(409, answer.status(), answer.toString());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        }
        assertTrue(acknowledged.size() >= writers, "most updates should get through: " + acknowledged.size());
        TreeMap<Long, String> byVersion = new TreeMap<>(acknowledged);
        var versions = cluster.client(4).history("COUNTER").body().getJsonArray("versions");
        assertEquals(byVersion.size() + 1, versions.size(), "history has exactly the acknowledged versions");
        for (int i = 0; i < versions.size(); i++) {
            assertEquals(i + 1, versions.getJsonObject(i).getInt("version"), "versions are gap-free");
        }
        for (Map.Entry<Long, String> entry : byVersion.entrySet()) {
            assertEquals(entry.getValue(), cluster.client(5).read("COUNTER", "version=" + entry.getKey()).value());
        }
    }
}
