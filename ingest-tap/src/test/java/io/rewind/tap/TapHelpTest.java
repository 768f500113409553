package io.rewind.tap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.service.config.Setting;
import io.rewind.service.config.Settings;
import io.rewind.tap.config.TapConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code bin/rewind tap --help} against the settings the tap accepts: each one listed with its default, no other. */
class TapHelpTest {
    private static final Pattern LISTED = Pattern.compile("(?m)^  --([a-z.]+)=[A-Z]+$");

    @Test
    void theHelpListsEverySettingTheTapAcceptsWithItsDefaultAndNoOther() {
        String help = TapConfig.help();
        Map<String, String> listed = new LinkedHashMap<>();
        Matcher m = LISTED.matcher(help);
        while (m.find()) {
            listed.put(m.group(1), null);
        }
        assertThat(listed.keySet()).containsExactlyElementsOf(TapConfig.SETTINGS.stream().map(Setting::key).toList());
        for (Setting<?> setting : TapConfig.SETTINGS) {
            listed.put(setting.key(), setting.required() ? "kafka:9092" : setting.defaultText());
            assertThat(help.replaceAll("\\s+", " ")).contains(setting.description().replaceAll("\\s+", " "));
        }
        assertThat(help).contains("Default: 10s. A duration").contains("Default: 1GiB. A size").contains("--kafka.KEY=VALUE");

        TapConfig accepted = TapConfig.from(Settings.fromMap("tap", listed)); // every key listed, each at its default
        assertThat(accepted.listenPort()).isEqualTo(4242);
        assertThatThrownBy(() -> TapConfig.from(Settings.fromMap("tap", Map.of("bootstrap.servers", "kafka:9092", "listen.prot", "1"))))
                .hasMessageContaining("Unknown setting 'listen.prot'");
        assertThat(List.of(help.split("\n"))).allSatisfy(line -> assertThat(line.length()).as(line).isLessThanOrEqualTo(130));
    }
}
