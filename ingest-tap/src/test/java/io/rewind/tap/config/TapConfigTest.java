package io.rewind.tap.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

class TapConfigTest {
    private static Map<String, String> settings() {
        return TapConfig.localSettings("127.0.0.1:1", "points", Path.of("spool"), "");
    }

    @Test
    void telnetPointsLingerLongerInTheProducerThanPointsAClientWaitsFor() {
        TapConfig config = TapConfig.of(settings());
        assertThat(config.producerProperties().getProperty(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo("25");
        assertThat(config.awaitedProducerProperties().getProperty(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo("5");
        assertThat(config.awaitedProducerProperties().getProperty(ProducerConfig.CLIENT_ID_CONFIG))
                .isEqualTo(config.producerProperties().getProperty(ProducerConfig.CLIENT_ID_CONFIG) + "-awaited");
    }

    @Test
    void kafkaLingerMsSetsBothProducers() {
        Map<String, String> settings = settings();
        settings.put("kafka.linger.ms", "40");
        TapConfig config = TapConfig.of(settings);
        assertThat(config.producerProperties().getProperty(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo("40");
        assertThat(config.awaitedProducerProperties().getProperty(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo("40");
    }
}
