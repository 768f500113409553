package io.rewind.service.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.service.config.ConfigException;
import io.rewind.service.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS settings of a port, read and checked with the component's other settings. */
class TlsSettingsTest {
    @TempDir
    Path dir;

    @Test
    void requiredClientCertificatesOnAPortThatAlsoTakesPlaintextAreRefusedWithTheOtherProblems() throws Exception {
        Path pem = Files.writeString(dir.resolve("tap.pem"), "not read before the settings are checked");
        Settings settings = Settings.fromMap("tap", Map.of("tls.mode", "optional", "tls.client.auth", "require", "tls.cert.file",
                pem.toString(), "tls.key.file", pem.toString(), "tls.ca.file", pem.toString(), "admin.tls.mode", "optional"));

        TlsSettings.TAP.read(settings);
        TlsSettings.ADMIN.read(settings);

        assertThatThrownBy(settings::check).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                "The 'tls.client.auth' value 'require' is invalid: tls.mode=optional also takes plaintext connections, which show no"
                        + " certificate: set tls.mode=required for mutual TLS (or tls.client.auth=optional)",
                "The 'admin.tls.mode' value 'optional' is invalid: the admin port takes TLS or plaintext, not both: off or required",
                "admin.tls.mode=optional needs admin.tls.cert.file and admin.tls.key.file (PEM)"));
    }

    @Test
    void optionalClientCertificatesOnAPortThatAlsoTakesPlaintextAreAccepted() throws Exception {
        Path pem = Files.writeString(dir.resolve("tap.pem"), "not read before the settings are checked");
        Settings settings = Settings.fromMap("tap", Map.of("tls.mode", "optional", "tls.client.auth", "optional", "tls.cert.file",
                pem.toString(), "tls.key.file", pem.toString(), "tls.ca.file", pem.toString()));

        TlsSettings.TAP.read(settings);

        settings.check();
    }

    @Test
    void aPortIsNeverStartedWithRequiredClientCertificatesAndPlaintextAllowed() {
        Path pem = dir.resolve("tap.pem");
        ServerTls.Settings settings = new ServerTls.Settings("tls.", ServerTls.Mode.OPTIONAL, Optional.of(pem), Optional.of(pem),
                Optional.of(pem), ServerTls.ClientCertificates.REQUIRE, 30_000);

        assertThatThrownBy(() -> ServerTls.start(settings, "the tap's port")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("The 'tls.client.auth' value 'require' is invalid");
    }
}
