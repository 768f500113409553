package io.rewind.archiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.service.config.Setting;
import io.rewind.service.config.Settings;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code bin/rewind archiver --help} against the settings the archiver accepts: each one listed with its default, no other. */
class ArchiverHelpTest {
    private static final Pattern LISTED = Pattern.compile("(?m)^  --([a-z.]+)=[A-Z]+$");

    @Test
    void theHelpListsEverySettingTheArchiverAcceptsWithItsDefaultAndNoOther() {
        String help = ArchiverConfig.help();
        Map<String, String> listed = new LinkedHashMap<>();
        Matcher m = LISTED.matcher(help);
        while (m.find()) {
            listed.put(m.group(1), null);
        }
        assertThat(listed.keySet()).containsExactlyElementsOf(ArchiverConfig.SETTINGS.stream().map(Setting::key).toList());
        for (Setting<?> setting : ArchiverConfig.SETTINGS) {
            listed.put(setting.key(), setting.required() ? (setting.key().equals("storage") ? "/var/lib/rewind" : "kafka:9092")
                    : setting.defaultText());
            assertThat(help.replaceAll("\\s+", " ")).contains(setting.description().replaceAll("\\s+", " "));
        }
        assertThat(help).contains("--commit.interval.ms=DURATION").contains("--kafka.KEY=VALUE");

        ArchiverConfig accepted = ArchiverConfig.from(Settings.fromMap("archiver", listed)); // every key listed, at its default
        assertThat(accepted.topic()).isEqualTo("points");
    }
}
