package dev.bastion.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.serve.guard.ExtractionDetector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The extraction detector's volume limit follows the gateway's rate limit. */
class GatewaySettingsTest {
  /**
   * The volume signal counts instances: its limit is at least what the rate limit lets through
   * in a minute, requests times instances a request may carry (QA: it was set in requests, so 4
   * requests of up to 1000 instances raised it); beyond what the detector keeps, it is off (0).
   */
  @ParameterizedTest(name = "rate {0}/s, burst {1}, {2} instances a request: {3} a minute")
  @CsvSource({
    "20, 40, 1000, 0", // the defaults: 1,240,000 instances a minute, off
    "20, 40, 1, 1240", // within the rate limit is within the volume limit
    "20, 40, 5, 6200",
    "1, 1, 1, 1000", // never below the detector's own default
    "100, 200, 1, 6200",
    "100, 200, 2, 0", // 12,400: beyond the 10,000 timestamps kept per client
    "1000000, 1000000, 1, 0"
  })
  void theVolumeLimitIsAboveWhatTheRateLimitAllows(long rate, long burst, int instances,
      int limit) {
    Gateway.Config c = new Gateway.Config("127.0.0.1", 0, rate, burst, 1 << 20, instances);

    assertThat(Gateway.detectorSettings(c).maxQueriesPerWindow()).isEqualTo(limit);
    assertThat(Gateway.detectorSettings(c).volumeWindowNanos()).isEqualTo(60_000_000_000L);
    if (limit > 0) {
      assertThat((long) limit).isGreaterThanOrEqualTo((rate * 60 + burst) * instances);
    }
  }

  @ParameterizedTest(name = "{0} coordinates: {1} clients")
  @CsvSource({
    "63, 128", // credit-g: 64 MiB / 0.52 MB per client
    "30, 260",
    "1000, 64", // never fewer than 64
    "1, 1000" // never more than the default
  })
  void theDetectorsMemoryIsBounded(int dimension, int clients) {
    var s = Gateway.bounded(Gateway.detectorSettings(Gateway.Config.defaults()), dimension);

    assertThat(s.maxClients()).isEqualTo(clients);
    if (clients > 64) {
      long perClient = (long) s.maxKept() * dimension * 8 + s.maxQueriesPerWindow() * 8L
          + s.window() * 16L + ExtractionDetector.COVERAGE_WINDOW * 8L;
      assertThat(perClient * s.maxClients()).isLessThanOrEqualTo(Gateway.DETECTOR_MEMORY);
    }
  }
}
