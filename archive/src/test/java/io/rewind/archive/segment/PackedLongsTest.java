package io.rewind.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

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

    @Test
    void everyTransformReadsBackEveryShapeOfColumnExactly() {
        for (int n : new int[] {1, 2, 3, 127, 128, 129, 130, 1_000}) {
            for (IntToLongFunction shape : SHAPES) {
                long[] values = new long[n];
                for (int i = 0; i < n; i++) {
                    values[i] = shape.applyAsLong(i);
                }
                for (byte transform : PackedLongs.BIT_TRANSFORMS) {
                    assertThat(roundTrip(values, new byte[] {transform})).as("transform %d, %d values", transform, n).isEqualTo(values);
                }
                assertThat(roundTrip(values, PackedLongs.BIT_TRANSFORMS)).isEqualTo(values);
            }
        }
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
        PackedLongs.Bytes out = new PackedLongs.Bytes();
        PackedLongs.write(values, values.length, transforms, out);
        return out;
    }

    private static long[] roundTrip(long[] values, byte[] transforms) {
        byte[] bytes = packed(values, transforms).toByteArray();
        PackedLongs.Bytes.Reader in = new PackedLongs.Bytes.Reader(bytes, 0, bytes.length);
        long[] read = new long[values.length];
        PackedLongs.read(in, values.length, read);
        assertThat(in.position()).isEqualTo(bytes.length);
        return Arrays.copyOf(read, values.length);
    }
}
