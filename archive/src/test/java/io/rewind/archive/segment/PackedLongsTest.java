package io.rewind.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PackedLongsTest {
    private static final Random RANDOM = new Random(3);
    /** Columns of every shape a series has, and the extremes of a long. */
    private static final List<IntToLongFunction> SHAPES = List.of(
            i -> 7,
            i -> 1_763_726_400_000L + i * 15_000L,
            i -> 1_763_726_400_000L + i * 10_000L + RANDOM.nextInt(250),
            i -> i * 1_000L + RANDOM.nextInt(40) - 20,
            i -> RANDOM.nextLong(),
            i -> i % 2 == 0 ? Long.MIN_VALUE : Long.MAX_VALUE,
            i -> Double.doubleToRawLongBits(100 + Math.sin(i / 10.0) * 3),
            i -> -i * 3L);

    @ParameterizedTest(name = "blocks coded: {0}")
    @ValueSource(booleans = {false, true})
    void everyTransformReadsBackEveryShapeOfColumnExactly(boolean coded) {
        for (int n : new int[] {1, 2, 3, 127, 128, 129, 130, 1_000}) {
            for (IntToLongFunction shape : SHAPES) {
                long[] values = new long[n];
                for (int i = 0; i < n; i++) {
                    values[i] = shape.applyAsLong(i);
                }
                for (byte transform : PackedLongs.BIT_TRANSFORMS) {
                    assertThat(roundTrip(values, new byte[] {transform}, coded)).as("transform %d, %d values", transform, n).isEqualTo(values);
                }
                assertThat(roundTrip(values, PackedLongs.BIT_TRANSFORMS, coded)).isEqualTo(values);
            }
        }
    }

    /**
     * Columns mixing every kind of block: noise of every size around levels that move, bursts, long idle stretches, values
     * far apart enough that a Rice code writes them whole, and the extremes of a long next to each other.
     */
    @Test
    void codedBlocksReadBackExactlyWhateverTheNoise() {
        Random random = new Random(21);
        int rice = 0;
        for (int column = 0; column < 3_000; column++) {
            int n = 1 + random.nextInt(700);
            long[] values = new long[n];
            long level = random.nextLong();
            double sigma = Math.pow(2, random.nextInt(62));
            for (int i = 0; i < n; i++) {
                level += random.nextInt(20) == 0 ? random.nextLong() >> random.nextInt(64) : 0;
                values[i] = switch (random.nextInt(column % 5 + 1)) {
                    case 0 -> level + (long) (random.nextGaussian() * sigma);
                    case 1 -> level;
                    case 2 -> random.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE;
                    case 3 -> level + (random.nextInt(100) == 0 ? random.nextLong() : random.nextInt(7));
                    default -> random.nextLong();
                };
            }
            byte[] bytes = packed(values, PackedLongs.BIT_TRANSFORMS, true).toByteArray();
            rice += riceBlocks(bytes, values.length);
            assertThat(roundTrip(values, PackedLongs.BIT_TRANSFORMS, true)).as("column %d", column).isEqualTo(values);
        }
        assertThat(rice).as("Rice-coded blocks among the columns").isGreaterThan(500);
    }

    @Test
    void aRiceCodedBlockTakesAboutTheBitsOfItsNoiseNotOfItsWidestResidual() {
        int n = 1_280;
        long[] gauge = new long[n];
        for (int i = 0; i < n; i++) {
            // Gaussian noise of 2^10 around a level: 12.05 bits of entropy a point. Framed, a block takes the bits of its
            // range, about 13.2 a point; coded, about 0.4 bit a point above the entropy.
            gauge[i] = 50_000_000 + Math.round(RANDOM.nextGaussian() * 1_024);
        }
        int framed = packed(gauge, PackedLongs.INTEGER_TRANSFORMS, false).size();
        int coded = packed(gauge, PackedLongs.INTEGER_TRANSFORMS, true).size();
        assertThat(roundTrip(gauge, PackedLongs.INTEGER_TRANSFORMS, true)).isEqualTo(gauge);
        assertThat(coded * 8.0 / n).as("bits a point, coded").isLessThan(12.6);
        assertThat(framed * 8.0 / n).as("bits a point, framed").isGreaterThan(13);
    }

    @Test
    void aCodedColumnCutShortOrWithAnImpossibleParameterIsRefused() {
        long[] values = new long[300];
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.round(RANDOM.nextGaussian() * 1_000);
        }
        byte[] bytes = packed(values, PackedLongs.INTEGER_TRANSFORMS, true).toByteArray();
        assertThat(riceBlocks(bytes, values.length)).isPositive();
        for (int cut = 1; cut < bytes.length; cut++) {
            byte[] shorter = Arrays.copyOf(bytes, bytes.length - cut);
            assertThatThrownBy(() -> PackedLongs.read(new PackedLongs.Bytes.Reader(shorter, 0, shorter.length), values.length,
                    new long[values.length])).as("cut by %d", cut).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(bytes[0]).as("noise around a level, as it is").isEqualTo((byte) (PackedLongs.RAW | PackedLongs.CODED_BLOCKS));
        byte[] impossible = bytes.clone();
        impossible[1] = (byte) (PackedLongs.RICE + 64); // the first block's kind: no value is kept whole before it
        assertThatThrownBy(() -> PackedLongs.read(new PackedLongs.Bytes.Reader(impossible, 0, impossible.length), values.length,
                new long[values.length])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("parameter 64");
    }

    @Test
    void aRegularColumnTakesAFewBytesAndANoisyOneTheBitsOfItsNoise() {
        int n = 720;
        long[] timestamps = new long[n];
        long[] counter = new long[n];
        long value = 123_456_789;
        for (int i = 0; i < n; i++) {
            timestamps[i] = 1_763_726_400_000L + i * 15_000L;
            value += 1_000 + RANDOM.nextInt(256);
            counter[i] = value;
        }
        assertThat(packed(timestamps, PackedLongs.INTEGER_TRANSFORMS).size()).isLessThan(40); // of 5,760 bytes as longs
        // Deltas of 1,000 + [0, 256): 8 bits a point, and a few bytes a block.
        assertThat(packed(counter, PackedLongs.INTEGER_TRANSFORMS).size()).isBetween(n, n + 6 * (n / PackedLongs.BLOCK + 1) + 20);
    }

    @Test
    void aRareBurstCostsItsOwnBytesNotAWiderBlock() {
        int n = 1_280;
        long[] counter = new long[n];
        long value = 0;
        for (int i = 0; i < n; i++) {
            value += 100 + RANDOM.nextInt(16) + (i % 97 == 50 ? 1_000_000 : 0); // 4 bits of noise, and now and then a burst
            counter[i] = value;
        }
        assertThat(roundTrip(counter, PackedLongs.INTEGER_TRANSFORMS)).isEqualTo(counter);
        // 4 bits a point, a few bytes per block and per burst; without exceptions every block with a burst takes 20 bits a point.
        assertThat(packed(counter, PackedLongs.INTEGER_TRANSFORMS).size()).isLessThan(n / 2 + 10 * 8 + 5 * (n / 97 + 1) + 20);
    }

    @Test
    void aColumnCutShortIsRefused() {
        long[] values = {1, 5, 900, 3, 77, 1 << 20};
        byte[] bytes = packed(values, PackedLongs.INTEGER_TRANSFORMS).toByteArray();
        assertThatThrownBy(() -> PackedLongs.read(new PackedLongs.Bytes.Reader(bytes, 0, bytes.length - 1), values.length, new long[values.length]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("end early");
    }

    private static PackedLongs.Bytes packed(long[] values, byte[] transforms) {
        return packed(values, transforms, false);
    }

    private static PackedLongs.Bytes packed(long[] values, byte[] transforms, boolean coded) {
        PackedLongs.Bytes out = new PackedLongs.Bytes();
        PackedLongs.write(values, values.length, transforms, coded, out);
        return out;
    }

    /** How many of a coded column's blocks are Rice-coded. */
    private static int riceBlocks(byte[] bytes, int n) {
        return PackedLongs.read(new PackedLongs.Bytes.Reader(bytes, 0, bytes.length), n, new long[n]);
    }

    private static long[] roundTrip(long[] values, byte[] transforms) {
        return roundTrip(values, transforms, false);
    }

    private static long[] roundTrip(long[] values, byte[] transforms, boolean coded) {
        byte[] bytes = packed(values, transforms, coded).toByteArray();
        PackedLongs.Bytes.Reader in = new PackedLongs.Bytes.Reader(bytes, 0, bytes.length);
        long[] read = new long[values.length];
        PackedLongs.read(in, values.length, read);
        assertThat(in.position()).isEqualTo(bytes.length);
        return Arrays.copyOf(read, values.length);
    }
}
