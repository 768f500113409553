package io.rewind.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Two realistic datasets as the telnet put lines collectors send, each over a million points, seeded (the same lines every
 * run), in the order they arrive: interval by interval, each host's (or instance's) batch together.
 * <ul>
 * <li>{@link #hosts()}: tcollector-like host metrics, 22 hosts × 66 series every 15 s for 3 hours: CPU jiffies per type and
 * CPU, network bytes and packets of a busy and a spare interface, disk requests and sectors of a busy and a spare disk,
 * interrupts and context switches (counters, busy ones with noisy rates), memory in kB (integer gauges), load averages (2
 * decimals), file system use (3 decimals), temperatures (1 decimal), small integer gauges, and one series per host with
 * millisecond timestamps (a ping's round trip, 3 decimals). About a third of the series are noisy, a third idle most of
 * the time, a third smooth, as on real hosts.</li>
 * <li>{@link #apps()}: application metrics, 35 instances × 36 series every 10 s for 2 h 13 min, every timestamp in
 * milliseconds (an instance's reporter snapshots its registry at one jittered time): per endpoint request and error
 * counters, latency percentiles in ms (3 decimals), requests in flight; JVM heap (a GC sawtooth), GC pauses, threads, a
 * cache hit ratio (4 decimals), a queue depth, and an exponentially weighted rate as a full-precision double.</li>
 * </ul>
 */
public final class PutLineDatasets {
    public static final long START_MS = 1_763_726_400_000L;

    /** A dataset: its name, what it is, its lines per connection, and its number of points. */
    public record Dataset(String name, String description, List<StringBuilder> connections, long points, int series) {
    }

    private PutLineDatasets() {
    }

    public static List<Dataset> all(int connections) {
        return List.of(hosts(connections), apps(connections));
    }

    /** Host metrics; host {@code h}'s batches go over connection {@code h % connections}. */
    public static Dataset hosts(int connections) {
        int hosts = 22;
        int intervals = 720;
        long step = 15_000;
        Random random = new Random(20261130);
        List<StringBuilder> out = buffers(connections);
        List<HostSeries> all = new ArrayList<>();
        for (int h = 0; h < hosts; h++) {
            all.add(new HostSeries(h, random));
        }
        long points = 0;
        for (int k = 0; k < intervals; k++) {
            long t = START_MS / 1000 + k * step / 1000;
            for (int h = 0; h < hosts; h++) {
                points += all.get(h).batch(out.get(h % connections), t, random);
            }
        }
        return new Dataset("hosts", "tcollector-like host metrics, 22 hosts x 66 series, 15 s, 3 h", out, points, hosts * 66);
    }

    /** Application metrics; instance {@code i}'s batches go over connection {@code i % connections}. */
    public static Dataset apps(int connections) {
        int instances = 35;
        int intervals = 800;
        long step = 10_000;
        Random random = new Random(20261201);
        List<StringBuilder> out = buffers(connections);
        List<AppSeries> all = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            all.add(new AppSeries(i, random));
        }
        long points = 0;
        for (int k = 0; k < intervals; k++) {
            for (int i = 0; i < instances; i++) {
                long ts = START_MS + k * step + random.nextInt(250);
                points += all.get(i).batch(out.get(i % connections), ts, step, random);
            }
        }
        return new Dataset("apps", "application metrics, 35 instances x 36 series, ms timestamps, 10 s, 2.2 h", out, points, instances * 36);
    }

    private static List<StringBuilder> buffers(int connections) {
        List<StringBuilder> out = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            out.add(new StringBuilder(1 << 24));
        }
        return out;
    }

    private static void line(StringBuilder out, String metric, long ts, String value, String tags) {
        out.append("put ").append(metric).append(' ').append(ts).append(' ').append(value).append(' ').append(tags).append('\n');
    }

    private static String decimals(double value, int places) {
        return String.format(Locale.ROOT, "%." + places + "f", value);
    }

    /** A counter: grows by a rate with noise (and sometimes a burst), never falls. */
    private static final class Counter {
        long value;
        final double rate;
        final double noise;

        Counter(Random random, double rate, double noise) {
            this.value = (long) (random.nextDouble() * 1e9);
            this.rate = rate;
            this.noise = noise;
        }

        long next(Random random) {
            double burst = random.nextInt(50) == 0 ? 3 + random.nextInt(5) : 1;
            value += Math.max(0, Math.round(rate * burst * (1 + random.nextGaussian() * noise)));
            return value;
        }
    }

    /**
     * One host as tcollector reports it. As on real hosts, some series are busy and noisy (the busy CPU times, eth0, sda,
     * interrupts, context switches, free memory), others idle most of the time (nice, irq and steal time, the spare eth1 and
     * sdb, buffers, file system use) or smooth (load averages, temperatures).
     */
    private static final class HostSeries {
        static final String[] CPU_TYPES = {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};
        static final long JIFFIES = 1_500; // per CPU per 15 s at USER_HZ 100
        final String tags;
        final long[] cpu = new long[32];
        final double[] cpuBusy = new double[4];
        final Counter[] net = new Counter[4];
        final long[] spareNet = new long[4];
        final Counter[] disk = new Counter[4];
        final long[] spareDisk = new long[4];
        final Counter interrupts;
        final Counter switches;
        final long[] memory = new long[4];
        final double[] load = new double[3];
        final double[] used = new double[3];
        final double[] temp = new double[2];
        long sockets;
        double rtt;

        HostSeries(int h, Random random) {
            tags = String.format("host=web%03d dc=%s", h, h % 2 == 0 ? "lga" : "sjc");
            double busy = 0.5 + random.nextDouble();
            for (int i = 0; i < cpu.length; i++) {
                cpu[i] = (long) (random.nextDouble() * 1e8);
            }
            for (int c = 0; c < cpuBusy.length; c++) {
                cpuBusy[c] = busy * (0.7 + random.nextDouble() * 0.6);
            }
            for (int i = 0; i < net.length; i++) {
                net[i] = new Counter(random, i < 2 ? 2e6 * busy * (1 + i) : 2e3 * busy * (1 + i), 0.4);
                spareNet[i] = (long) (random.nextDouble() * 1e7);
            }
            for (int i = 0; i < disk.length; i++) {
                disk[i] = new Counter(random, i < 2 ? 150 * busy : 2500 * busy, 0.5);
                spareDisk[i] = (long) (random.nextDouble() * 1e6);
            }
            interrupts = new Counter(random, 30_000 * busy, 0.2);
            switches = new Counter(random, 60_000 * busy, 0.25);
            for (int i = 0; i < memory.length; i++) {
                memory[i] = 1_000_000 + random.nextInt(8_000_000);
            }
            for (int i = 0; i < load.length; i++) {
                load[i] = busy * 2;
            }
            for (int i = 0; i < used.length; i++) {
                used[i] = 20 + random.nextDouble() * 60;
            }
            temp[0] = 45 + random.nextDouble() * 10;
            temp[1] = 40 + random.nextDouble() * 10;
            sockets = 200 + random.nextInt(800);
            rtt = 0.2 + random.nextDouble();
        }

        int batch(StringBuilder out, long t, Random random) {
            int n = 0;
            for (int c = 0; c < 4; c++) {
                // user, system, iowait and softirq vary with the load; nice and irq now and then; steal never (bare metal);
                // idle is what is left of the interval.
                double busy = cpuBusy[c];
                long user = Math.max(0, Math.round(300 * busy * (1 + random.nextGaussian() * 0.25)));
                long system = Math.max(0, Math.round(100 * busy * (1 + random.nextGaussian() * 0.25)));
                long iowait = random.nextInt(4) == 0 ? random.nextInt(60) : random.nextInt(3);
                long softirq = Math.max(0, Math.round(12 * busy * (1 + random.nextGaussian() * 0.3)));
                long nice = random.nextInt(10) == 0 ? 1 + random.nextInt(20) : 0;
                long irq = random.nextInt(3) == 0 ? 1 : 0;
                long[] add = {user, nice, system, 0, iowait, irq, softirq, 0};
                add[3] = Math.max(0, JIFFIES - user - nice - system - iowait - irq - softirq);
                for (int type = 0; type < 8; type++) {
                    cpu[c * 8 + type] += add[type];
                    line(out, "proc.stat.cpu", t, Long.toString(cpu[c * 8 + type]), tags + " type=" + CPU_TYPES[type] + " cpu=" + c);
                    n++;
                }
            }
            String[] directions = {"in", "out"};
            for (int i = 0; i < net.length; i++) {
                line(out, i < 2 ? "proc.net.bytes" : "proc.net.packets", t, Long.toString(net[i].next(random)),
                        tags + " iface=eth0 direction=" + directions[i % 2]);
                // The spare interface: a few ARP and LLDP frames now and then.
                if (random.nextInt(3) == 0) {
                    spareNet[i] += i < 2 ? 60 + random.nextInt(3) * 60 : 1 + random.nextInt(2);
                }
                line(out, i < 2 ? "proc.net.bytes" : "proc.net.packets", t, Long.toString(spareNet[i]),
                        tags + " iface=eth1 direction=" + directions[i % 2]);
                n += 2;
            }
            String[] disks = {"read_requests", "write_requests", "read_sectors", "write_sectors"};
            for (int i = 0; i < disk.length; i++) {
                line(out, "iostat.disk." + disks[i], t, Long.toString(disk[i].next(random)), tags + " dev=sda");
                // The second disk: a write now and then.
                if (i % 2 == 1 && random.nextInt(20) == 0) {
                    spareDisk[i] += i == 1 ? 1 + random.nextInt(3) : 8 * (1 + random.nextInt(16));
                }
                line(out, "iostat.disk." + disks[i], t, Long.toString(spareDisk[i]), tags + " dev=sdb");
                n += 2;
            }
            line(out, "proc.stat.intr", t, Long.toString(interrupts.next(random)), tags);
            line(out, "proc.stat.ctxt", t, Long.toString(switches.next(random)), tags);
            n += 2;
            memory[0] = Math.max(10_000, memory[0] + Math.round(random.nextGaussian() * 4_000)); // free: moves all the time
            memory[1] += random.nextInt(200); // cached: grows slowly
            memory[2] += random.nextInt(20) == 0 ? random.nextInt(80) - 40 : 0; // buffers: now and then
            memory[3] = Math.max(10_000, memory[3] + Math.round(random.nextGaussian() * 800)); // active
            String[] mem = {"memfree", "cached", "buffers", "active"};
            for (int i = 0; i < memory.length; i++) {
                line(out, "proc.meminfo." + mem[i], t, Long.toString(memory[i]), tags);
                n++;
            }
            String[] loads = {"1min", "5min", "15min"};
            double target = Math.max(0, load[0] + random.nextGaussian() * 0.4);
            for (int i = 0; i < load.length; i++) {
                load[i] += (target - load[i]) / (1 + 4 * i);
                line(out, "proc.loadavg." + loads[i], t, decimals(load[i], 2), tags);
                n++;
            }
            String[] mounts = {"/", "/var", "/data"};
            for (int i = 0; i < used.length; i++) {
                used[i] = Math.min(99, Math.max(1, used[i] + (random.nextInt(10) == 0 ? random.nextGaussian() * 0.01 : 0)));
                line(out, "df.bytes.percentused", t, decimals(used[i], 3), tags + " mount=" + mounts[i]);
                n++;
            }
            for (int i = 0; i < temp.length; i++) {
                temp[i] += random.nextGaussian() * 0.1;
                line(out, "sys.temp.celsius", t, decimals(temp[i], 1), tags + " sensor=" + i);
                n++;
            }
            line(out, "proc.stat.procs_running", t, Integer.toString(1 + random.nextInt(4)), tags);
            line(out, "proc.stat.procs_blocked", t, Integer.toString(random.nextInt(10) == 0 ? 1 : 0), tags);
            sockets = Math.max(50, sockets + Math.round(random.nextGaussian() * 5));
            line(out, "net.sockstat.num_sockets", t, Long.toString(sockets), tags);
            n += 3;
            rtt = Math.max(0.05, rtt + random.nextGaussian() * 0.05);
            line(out, "net.ping.rtt_ms", t * 1000 + random.nextInt(1000), decimals(rtt + Math.abs(random.nextGaussian()) * 0.1, 3), tags);
            return n + 1;
        }
    }

    private static final class AppSeries {
        static final String[] ENDPOINTS = {"login", "search", "checkout", "cart", "profile"};
        final String tags;
        final Counter[] requests = new Counter[5];
        final Counter[] errors = new Counter[5];
        final double[] latency = new double[5];
        final long heapMax;
        long heap;
        long threads;
        double hitRatio;
        double ewma;

        AppSeries(int i, Random random) {
            tags = "service=shop instance=shop-" + i + " zone=" + (char) ('a' + i % 3);
            for (int e = 0; e < 5; e++) {
                requests[e] = new Counter(random, 200 + random.nextInt(3000), 0.2);
                errors[e] = new Counter(random, random.nextDouble() * 2, 1.0);
                latency[e] = 5 + random.nextDouble() * 80;
            }
            heapMax = 2L << 30;
            heap = heapMax / 4;
            threads = 80 + random.nextInt(100);
            hitRatio = 0.8 + random.nextDouble() * 0.15;
            ewma = 100 + random.nextDouble() * 500;
        }

        int batch(StringBuilder out, long ts, long stepMs, Random random) {
            int n = 0;
            for (int e = 0; e < 5; e++) {
                String endpoint = tags + " endpoint=" + ENDPOINTS[e];
                long before = requests[e].value;
                long now = requests[e].next(random);
                line(out, "http.server.requests", ts, Long.toString(now), endpoint);
                line(out, "http.server.errors", ts, Long.toString(errors[e].next(random)), endpoint);
                latency[e] = Math.max(1, latency[e] + random.nextGaussian() * latency[e] * 0.05);
                double p50 = latency[e] * (0.9 + random.nextDouble() * 0.2);
                line(out, "http.server.latency.p50", ts, decimals(p50, 3), endpoint);
                line(out, "http.server.latency.p95", ts, decimals(p50 * (2 + random.nextDouble()), 3), endpoint);
                line(out, "http.server.latency.p99", ts, decimals(p50 * (4 + random.nextDouble() * 3), 3), endpoint);
                line(out, "http.server.inflight", ts, Long.toString(Math.max(0, Math.round((now - before) / 1000.0 * p50 / 10
                        + random.nextGaussian()))), endpoint);
                ewma += ((now - before) * 1000.0 / stepMs - ewma) * 0.08;
                n += 6;
            }
            heap += 20_000_000 + random.nextInt(40_000_000);
            double pause = 0;
            if (heap > heapMax * 0.8) {
                heap = heapMax / 5 + random.nextInt(50_000_000);
                pause = 20 + random.nextDouble() * 60;
            }
            line(out, "jvm.memory.heap.used", ts, Long.toString(heap), tags);
            line(out, "jvm.gc.pause.ms", ts, decimals(pause, 3), tags);
            threads = Math.max(20, threads + (random.nextInt(5) == 0 ? random.nextInt(5) - 2 : 0));
            line(out, "jvm.threads.live", ts, Long.toString(threads), tags);
            hitRatio = Math.min(0.999, Math.max(0.5, hitRatio + random.nextGaussian() * 0.005));
            line(out, "cache.hit.ratio", ts, decimals(hitRatio, 4), tags);
            line(out, "queue.depth", ts, Integer.toString(random.nextInt(8) == 0 ? random.nextInt(40) : random.nextInt(3)), tags);
            line(out, "http.server.requests.rate.1m", ts, Double.toString(ewma), tags);
            return n + 6;
        }
    }
}
