package dev.bastion.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.data.Schema;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The gateway's guards on loopback, on a model trained on the credit example. */
class GatewayGuardsTest {
  @TempDir static Path tmp;
  static GatewayFixture f;

  @BeforeAll
  static void setUp() throws Exception {
    f = new GatewayFixture(tmp);
  }

  @AfterAll
  static void tearDown() throws Exception {
    f.close();
  }

  /** A synthetic applicant: every value drawn uniformly from the training ranges (Tramèr). */
  static ObjectNode synthetic(SplittableRandom rnd) {
    ObjectNode inst = dev.bastion.core.Json.object();
    for (Schema.Column c : f.schema.columns()) {
      if (c.name().equals(f.schema.label())) {
        continue;
      }
      if (c.numeric()) {
        double[] range = f.served.inputProfile().observed().get(c.name());
        inst.put(c.name(), (long) range[0] + rnd.nextLong((long) (range[1] - range[0]) + 1));
      } else {
        List<String> values = new ArrayList<>(new java.util.TreeSet<>(c.values()));
        inst.put(c.name(), values.get(rnd.nextInt(values.size())));
      }
    }
    return inst;
  }

  /**
   * A number with a fraction part or an exponent in an integer column is refused as ingest
   * refuses it (QA: Jackson strips trailing zeros, so 49.0 read as 49 and was accepted).
   */
  @ParameterizedTest
  @ValueSource(strings = {"49.0", "4.9e1", "1.8e1", "18E0", "120.0", "67.50e0", "1e1",
      "\"67.0\"", "\"6.75e1\"", "67.5"})
  void aNumberWithAFractionOrAnExponentIsNotAnInteger(String duration) throws Exception {
    ObjectNode inst = f.real(0);
    String body = GatewayFixture.request(List.of(inst))
        .replace("\"duration\":" + inst.get("duration").asText(), "\"duration\":" + duration);
    assertThat(body).contains("\"duration\":" + duration);
    InputGuard guard = new InputGuard(f.served.model().spec(), f.served.inputProfile(),
        InputGuard.Policy.FLAG);

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> guard.check(PredictRequest.parse(
            body.getBytes(StandardCharsets.UTF_8), f.served.model().spec(), 10, (c, v) -> v)))
        .isInstanceOf(BadInputException.class)
        .hasMessage("instances[0]: field 'duration' is not an integer");
  }

  @ParameterizedTest
  @ValueSource(strings = {"49", "\"49\"", "120", "\"7\"", "1"})
  void anIntegerAsWrittenPassesTheIntegerCheck(String duration) throws Exception {
    ObjectNode inst = f.real(0);
    String body = GatewayFixture.request(List.of(inst))
        .replace("\"duration\":" + inst.get("duration").asText(), "\"duration\":" + duration);
    var parsed = PredictRequest.parse(body.getBytes(StandardCharsets.UTF_8),
        f.served.model().spec(), 10, (c, v) -> v);
    InputGuard.Verdict v = new InputGuard(f.served.model().spec(), f.served.inputProfile(),
        InputGuard.Policy.FLAG).check(parsed);

    assertThat(v.refusal()).isEmpty();
  }

  /** Every request, answered or refused, is on the ledger with its latency. */
  @Test
  void refusedRequestsAreOnTheLedgerWithTheirLatency() throws Exception {
    f.keyring.issueClient("latency-1", "predict");
    GatewayClient client = GatewayClient.as(f.keyring, "latency-1");
    try (Gateway g = f.start(Gateway.Config.defaults().withPort(0))) {
      ObjectNode far = f.real(1).put("credit_amount", 2_000_000);
      assertThat(client.post(g.port(), GatewayFixture.PREDICT,
          GatewayFixture.request(List.of(far))).status()).isEqualTo(400);
      assertThat(client.post(g.port(), GatewayFixture.PREDICT, "{}").status()).isEqualTo(400);
      assertThat(client.post(g.port(), "/v1/models/other:predict", "{}").status())
          .isEqualTo(404);
      assertThat(client.post(g.port(), GatewayFixture.PREDICT,
          GatewayFixture.request(List.of(f.real(2)))).status()).isEqualTo(200);
      assertThat(GatewayClient.anonymous(f.keyring).post(g.port(), GatewayFixture.PREDICT, "{}")
          .status()).isEqualTo(401);
    }
    List<Event> requests = f.events().stream()
        .filter(e -> e.kind() == EventKind.INFERENCE || e.kind() == EventKind.ACCESS_DENIED)
        .filter(e -> e.actor().equals("latency-1") || e.actor().equals("unauthenticated"))
        .filter(e -> e.details().containsKey("path"))
        .toList();
    assertThat(requests).extracting(e -> e.details().getOrDefault("error", "ok"))
        .contains("out_of_domain", "bad_request", "not_found", "ok", "unauthenticated");
    assertThat(requests).allSatisfy(e ->
        assertThat(e.details().get("latency_us")).as("%s", e.details()).matches("[0-9]+"));
  }

  /**
   * Within its rate limit a client is never suspended for volume alone (QA: 2 instances, then
   * three batches of 1000 real rows, raised a VOLUME alert: the volume limit counted instances
   * against a number of requests).
   */
  @Test
  void aClientWithinItsRateLimitIsNotSuspendedForVolume() throws Exception {
    f.keyring.issueClient("volume-1", "predict");
    GatewayClient client = GatewayClient.as(f.keyring, "volume-1");
    try (Gateway g = f.start(Gateway.Config.defaults().withPort(0))) {
      GatewayClient.Reply first = client.post(g.port(), GatewayFixture.PREDICT,
          GatewayFixture.request(List.of(f.real(0), f.real(1))));
      assertThat(first.status()).as(first.body()).isEqualTo(200);
      List<ObjectNode> all = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        all.add(f.real(i));
      }
      String batch = GatewayFixture.request(all);
      for (int b = 0; b < 3; b++) {
        GatewayClient.Reply r = client.post(g.port(), GatewayFixture.PREDICT, batch);
        assertThat(r.status()).as("batch %d: %s", b, r.body()).isEqualTo(200);
      }
    }
    assertThat(f.events("identity", "volume-1")).isEmpty();
  }

  /**
   * A throttled identity gets one prediction a second, not one batch (QA: a throttled client
   * still had 4000 instances answered in 5 s).
   */
  @Test
  void aThrottledIdentityMaySendOneInstancePerRequest() throws Exception {
    f.keyring.issueClient("copier-t", "predict");
    GatewayClient copier = GatewayClient.as(f.keyring, "copier-t");
    Gateway.Config config = Gateway.Config.defaults().withPort(0).withRate(10_000, 10_000)
        .withExtraction(ExtractionPolicy.THROTTLE);
    try (Gateway g = f.start(config)) {
      SplittableRandom rnd = new SplittableRandom(11);
      for (int q = 0; q < 200 && f.events("identity", "copier-t").isEmpty(); q++) {
        GatewayClient.Reply r = copier.post(g.port(), GatewayFixture.PREDICT,
            GatewayFixture.request(List.of(synthetic(rnd))));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
      }
      assertThat(f.events("identity", "copier-t")).singleElement()
          .satisfies(e -> assertThat(e.details()).containsEntry("action", "throttle"));
      Thread.sleep(1100); // the throttled bucket holds one request a second

      long calls = g.modelCalls();
      GatewayClient.Reply batch = copier.post(g.port(), GatewayFixture.PREDICT,
          GatewayFixture.request(List.of(f.real(3), f.real(4))));
      assertThat(batch.status()).isEqualTo(429);
      assertThat(batch.body()).contains("\"error\":\"rate_limited\"")
          .contains("one instance per request");
      assertThat(g.modelCalls()).isEqualTo(calls);

      Thread.sleep(1100);
      GatewayClient.Reply one = copier.post(g.port(), GatewayFixture.PREDICT,
          GatewayFixture.request(List.of(f.real(5))));
      assertThat(one.status()).as(one.body()).isEqualTo(200);
    }
  }
}
