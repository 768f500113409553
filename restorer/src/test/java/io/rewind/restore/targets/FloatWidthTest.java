package io.rewind.restore.targets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.opentsdb.core.Tags;
import org.junit.jupiter.api.Test;

/**
 * A restore into storage decides a float's width on the archived double, where a TSD decides it on the text it is sent
 * (OpenTSDB's {@code Tags.fitsInFloat}) and stores {@code Float.parseFloat} of that text: for the text a restore sends,
 * {@code Double.toString} of the double, both give the same width and the same float.
 */
class FloatWidthTest {
    @Test
    void theWidthAndTheFloatFromTheDoubleAreThoseATsdTakesFromItsText() {
        Random random = new Random(35);
        List<Double> values = new ArrayList<>(List.of(0.0, -0.0, 0.1, 1.5, -2.25, 1e10, 1e39, 3.4028234663852886E38,
                1.401298464324817E-45, 7.0E-46, Double.MIN_VALUE, Double.MAX_VALUE, 16777217.0, 16777216.0, 0.30000001192092896));
        for (int i = 0; i < 200_000; i++) {
            values.add(switch (i % 4) {
                case 0 -> Double.longBitsToDouble(random.nextLong());
                case 1 -> (double) Float.intBitsToFloat(random.nextInt());
                case 2 -> random.nextInt(2_000_000) / 1000.0;
                default -> random.nextGaussian() * Math.pow(10, random.nextInt(80) - 40);
            });
        }
        int floats = 0;
        for (double value : values) {
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                continue; // refused before any width is chosen
            }
            String text = Double.toString(value);
            boolean fits = StorageTarget.fitsInFloat(value);
            assertThat(fits).as(text).isEqualTo(Tags.fitsInFloat(text));
            if (fits) {
                floats++;
                assertThat(Float.floatToRawIntBits((float) value)).as(text).isEqualTo(Float.floatToRawIntBits(Float.parseFloat(text)));
                assertThat(Double.doubleToRawLongBits((float) value)).as(text).isEqualTo(Double.doubleToRawLongBits(value));
            }
        }
        assertThat(floats).isGreaterThan(50_000);
    }
}
