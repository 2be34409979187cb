package dev.bastion.serve;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The extraction detector's volume limit follows the gateway's rate limit. */
class GatewaySettingsTest {
  @ParameterizedTest(name = "rate {0}/s, burst {1}: {2} a minute")
  @CsvSource({
    "20, 40, 1241", // the default rate limit: a client within it is never over the volume limit
    "1, 1, 1000", // never below the detector's own default
    "100, 200, 6201",
    "1000000, 1000000, 10000" // at most 10,000 timestamps kept per client
  })
  void theVolumeLimitIsAboveWhatTheRateLimitAllows(long rate, long burst, int limit) {
    Gateway.Config c = Gateway.Config.defaults().withRate(rate, burst);

    assertThat(Gateway.detectorSettings(c).maxQueriesPerWindow()).isEqualTo(limit);
    assertThat(Gateway.detectorSettings(c).volumeWindowNanos()).isEqualTo(60_000_000_000L);
  }

  @ParameterizedTest(name = "{0} coordinates: {1} clients")
  @CsvSource({
    "63, 126", // credit-g: 64 MiB / 0.53 MB per client
    "30, 252",
    "1000, 64", // never fewer than 64
    "1, 1000" // never more than the default
  })
  void theDetectorsMemoryIsBounded(int dimension, int clients) {
    var s = Gateway.bounded(Gateway.detectorSettings(Gateway.Config.defaults()), dimension);

    assertThat(s.maxClients()).isEqualTo(clients);
    if (clients > 64) {
      long perClient = (long) s.maxKept() * dimension * 8 + s.maxQueriesPerWindow() * 8L
          + s.window() * 16L;
      assertThat(perClient * s.maxClients()).isLessThanOrEqualTo(Gateway.DETECTOR_MEMORY);
    }
  }
}
