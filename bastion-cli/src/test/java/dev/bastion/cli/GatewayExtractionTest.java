package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Json;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import dev.bastion.serve.ExtractionPolicy;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.ServedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extraction detector in the gateway: a client asking synthetic queries is caught and
 * suspended (or throttled), with an alert on the ledger; a client replaying real applicants is
 * not; an admin reinstates.
 */
class GatewayExtractionTest {
  @TempDir static Path tmp;
  static Home home;
  static ServedModel served;
  static Table credit;
  static Schema schema;

  @BeforeAll
  static void start() throws Exception {
    home = Home.init(tmp.resolve("home"));
    Examples.run(home, Examples.copyCredit(tmp.resolve("credit")));
    served = ServedModel.load("credit-risk", home.registry(), home.chainVerifier(), home.trust(),
        "t");
    credit = new CsvReader().read(Examples.CREDIT.resolve("credit-g.csv"));
    schema = Schema.load(Examples.CREDIT.resolve("schema.json"));
    home.keyring().issueClient("ops", "admin");
  }

  @AfterAll
  static void stop() throws Exception {
    home.close();
  }

  private static Gateway gateway(ExtractionPolicy policy) throws Exception {
    return Gateway.start(
        new Gateway.Config("127.0.0.1", 0, 10_000, 10_000, 1 << 16, 5).withAdminPort(0)
            .withExtraction(policy),
        served, ref -> served, home.keyring(), home.trust(), home.ledger());
  }

  /** A real applicant from the data set, as a request. */
  private static String real(int row) {
    ObjectNode inst = Json.object();
    Table.Row r = credit.rows().get(row);
    for (int i = 0; i < credit.columns().size(); i++) {
      String c = credit.columns().get(i);
      if (c.equals("class")) {
        continue;
      }
      String v = r.cells().get(i);
      if (schema.column(c).orElseThrow().numeric()) {
        inst.put(c, Long.parseLong(v));
      } else {
        inst.put(c, v);
      }
    }
    return request(inst);
  }

  /** A synthetic applicant: every value drawn uniformly from the training ranges (Tramèr). */
  private static String synthetic(SplittableRandom rnd) {
    ObjectNode inst = Json.object();
    for (Schema.Column c : schema.columns()) {
      if (c.name().equals("class")) {
        continue;
      }
      if (c.numeric()) {
        double[] range = served.inputProfile().observed().get(c.name());
        inst.put(c.name(), (long) range[0] + rnd.nextLong((long) (range[1] - range[0]) + 1));
      } else {
        // Categories seen in the data (a protected column knows only those).
        int col = credit.indexOf(c.name());
        List<String> values = new ArrayList<>(new java.util.TreeSet<>(
            credit.rows().stream().map(row -> row.cells().get(col)).toList()));
        inst.put(c.name(), values.get(rnd.nextInt(values.size())));
      }
    }
    return request(inst);
  }

  private static String request(ObjectNode inst) {
    ObjectNode o = Json.object();
    ArrayNode a = o.putArray("instances");
    a.add(inst);
    return Json.canonicalString(o);
  }

  @Test
  void syntheticQueriesAreCaughtAndTheIdentitySuspendedUntilReinstated() throws Exception {
    home.keyring().issueClient("copier-1", "predict");
    GatewayClient copier = GatewayClient.as(home.keyring(), "copier-1");
    GatewayClient admin = GatewayClient.as(home.keyring(), "ops");
    try (Gateway g = gateway(ExtractionPolicy.SUSPEND)) {
      SplittableRandom rnd = new SplittableRandom(11);
      int caughtAt = -1;
      for (int q = 1; q <= 500 && caughtAt < 0; q++) {
        GatewayClient.Reply r = copier.post(g.port(), EndToEndTest.PREDICT, synthetic(rnd));
        if (r.status() == 403) {
          assertThat(r.body()).contains("\"error\":\"suspended\"");
          caughtAt = q;
        } else {
          assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
      }

      assertThat(caughtAt).as("refused from query").isBetween(2, 50);
      long calls = g.modelCalls();
      assertThat(copier.post(g.port(), EndToEndTest.PREDICT, real(0)).status()).isEqualTo(403);
      assertThat(g.modelCalls()).isEqualTo(calls);
      List<Event> alerts = LedgerVerifier.events(home.ledger().directory()).stream()
          .filter(e -> e.kind() == EventKind.ALERT && e.action().equals("guard.extraction"))
          .filter(e -> "copier-1".equals(e.details().get("identity")))
          .toList();
      assertThat(alerts).hasSize(1);
      assertThat(alerts.get(0).details()).containsEntry("action", "suspend");

      GatewayClient.Reply back =
          admin.post(g.adminPort().orElseThrow(), "/v1/admin/clients/copier-1:reinstate", "");
      assertThat(back.status()).as(back.body()).isEqualTo(200);
      assertThat(copier.post(g.port(), EndToEndTest.PREDICT, real(0)).status()).isEqualTo(200);
      assertThat(admin.post(g.adminPort().orElseThrow(), "/v1/admin/clients/copier-1:reinstate",
          "").status()).isEqualTo(404);
    }
  }

  @Test
  void aSuspensionSurvivesARestart() throws Exception {
    home.keyring().issueClient("copier-3", "predict");
    GatewayClient copier = GatewayClient.as(home.keyring(), "copier-3");
    Gateway.Config config = new Gateway.Config("127.0.0.1", 0, 10_000, 10_000, 1 << 16, 5)
        .withBudget(1_000_000, java.util.Optional.of(tmp.resolve("gw").resolve("budgets.json")));
    try (Gateway g = Gateway.start(config, served, home.keyring(), home.trust(),
        home.ledger())) {
      SplittableRandom rnd = new SplittableRandom(13);
      int status = 200;
      for (int q = 0; q < 500 && status == 200; q++) {
        status = copier.post(g.port(), EndToEndTest.PREDICT, synthetic(rnd)).status();
      }
      assertThat(status).isEqualTo(403);
    }
    try (Gateway g = Gateway.start(config, served, home.keyring(), home.trust(),
        home.ledger())) {
      GatewayClient.Reply r = copier.post(g.port(), EndToEndTest.PREDICT, real(1));

      assertThat(r.status()).isEqualTo(403);
      assertThat(r.body()).contains("\"error\":\"suspended\"");
      assertThat(g.modelCalls()).isZero();
    }
  }

  @Test
  void realApplicantsRaiseNoAlarm() throws Exception {
    home.keyring().issueClient("bank-1", "predict");
    GatewayClient bank = GatewayClient.as(home.keyring(), "bank-1");
    try (Gateway g = gateway(ExtractionPolicy.SUSPEND)) {
      SplittableRandom rnd = new SplittableRandom(5);
      for (int q = 0; q < 300; q++) {
        GatewayClient.Reply r =
            bank.post(g.port(), EndToEndTest.PREDICT, real(rnd.nextInt(credit.rows().size())));
        assertThat(r.status()).as("query %d: %s", q, r.body()).isEqualTo(200);
      }
    }
  }

  @Test
  void underThrottleASuspectGetsOneRequestASecond() throws Exception {
    home.keyring().issueClient("copier-2", "predict");
    GatewayClient copier = GatewayClient.as(home.keyring(), "copier-2");
    try (Gateway g = gateway(ExtractionPolicy.THROTTLE)) {
      SplittableRandom rnd = new SplittableRandom(12);
      int limited = 0;
      for (int q = 1; q <= 500 && limited < 2; q++) {
        GatewayClient.Reply r = copier.post(g.port(), EndToEndTest.PREDICT, synthetic(rnd));
        if (r.status() == 429) {
          assertThat(r.body()).contains("throttled");
          limited++;
        } else {
          assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
      }
      assertThat(limited).isEqualTo(2);
    }
  }
}
