package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Keyring;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.ledger.tlog.NoteVerifier;
import dev.bastion.pipeline.GateFailedException;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.PipelineDefinition;
import dev.bastion.pipeline.Runner;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.ServedModel;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline in-process: run, register, serve, refuse, audit. */
class EndToEndTest {
  static final String PREDICT = "/v1/models/credit-risk:predict";
  static final String INSTANCE =
      "{\"instances\":[{\"checking_status\":\"<0\",\"duration\":6,"
          + "\"credit_history\":\"critical/other existing credit\",\"purpose\":\"radio/tv\","
          + "\"credit_amount\":1169,\"savings_status\":\"no known savings\",\"employment\":\">=7\","
          + "\"installment_commitment\":4,\"personal_status\":\"male single\","
          + "\"other_parties\":\"none\",\"residence_since\":4,"
          + "\"property_magnitude\":\"real estate\",\"age\":67,\"other_payment_plans\":\"none\","
          + "\"housing\":\"own\",\"existing_credits\":2,\"job\":\"skilled\",\"num_dependents\":1,"
          + "\"own_telephone\":\"yes\",\"foreign_worker\":\"yes\"}]}";

  @TempDir Path tmp;
  Path homeDir;
  Path pipeline;

  @BeforeEach
  void setUp() throws IOException {
    homeDir = tmp.resolve("home");
    pipeline = Examples.copyCredit(tmp.resolve("credit"));
  }

  private Runner.Result run(Home home) throws Exception {
    return Examples.run(home, pipeline);
  }

  @Test
  void predictionComesBackAndStrangersAreRefusedBeforeTheModel() throws Exception {
    try (Home home = Home.init(homeDir)) {
      Runner.Result result = run(home);
      assertThat(result.metrics().auc()).isGreaterThan(0.70);
      ServedModel served =
          ServedModel.load("credit-risk", home.registry(), home.chainVerifier(), home.trust(), "t");
      try (Gateway g =
          Gateway.start(Gateway.Config.defaults().withPort(0), served, home.keyring(),
              home.trust(), home.ledger())) {
        GatewayClient.Reply ok =
            GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT).post(g.port(), PREDICT, INSTANCE);
        assertThat(ok.status()).isEqualTo(200);
        JsonNode p = Json.parse(ok.body().getBytes(StandardCharsets.UTF_8), "reply");
        assertThat(p.path("predictions")).hasSize(1);
        assertThat(p.path("predictions").get(0).path("label").asText()).isIn("good", "bad");
        double sum = 0;
        for (JsonNode s : p.path("predictions").get(0).path("probabilities")) {
          sum += s.asDouble();
        }
        assertThat(sum).isBetween(0.999, 1.001);
        long calls = g.modelCalls();
        assertThat(calls).isEqualTo(1);

        // No client certificate and no token: 401, the model not called.
        GatewayClient.Reply anon =
            GatewayClient.anonymous(home.keyring()).post(g.port(), PREDICT, INSTANCE);
        assertThat(anon.status()).isEqualTo(401);
        assertThat(anon.body()).contains("\"error\":\"unauthenticated\"");

        // A certificate from another deployment's CA: not one the gateway asks for (or, if
        // sent, one the handshake refuses), so the request comes without one: 401.
        try (Home other = Home.init(tmp.resolve("other"))) {
          char[] pw = "x".toCharArray();
          GatewayClient stranger =
              GatewayClient.with(
                  other.keyring().keyStore(Keyring.DEMO_CLIENT, pw), pw,
                  home.keyring().trustStore());
          try {
            assertThat(stranger.post(g.port(), PREDICT, INSTANCE).status()).isEqualTo(401);
          } catch (IOException refusedInTheHandshake) {
            // as refused
          }
        }

        // Our CA, wrong role: 403 as JSON.
        home.keyring().issueClient("auditor-1", "auditor");
        GatewayClient.Reply denied =
            GatewayClient.as(home.keyring(), "auditor-1").post(g.port(), PREDICT, INSTANCE);
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.body()).contains("\"error\":\"forbidden\"");

        // Malformed input: a 400 with a message, and the model is not called for it.
        GatewayClient.Reply bad =
            GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT)
                .post(g.port(), PREDICT, "{\"instances\":[{\"duration\":\"NaN\"}]}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body()).contains("\"error\":\"bad_request\"");

        assertThat(g.modelCalls()).isEqualTo(calls);
      }
      LedgerVerifier.Result ledger =
          LedgerVerifier.verify(homeDir.resolve("ledger"), Home.ledgerVerifier(homeDir));
      assertThat(ledger.size()).isGreaterThan(30);
      assertThat(LedgerVerifier.events(homeDir.resolve("ledger")))
          .anyMatch(e -> e.kind().wireName().equals("access_denied"))
          .anyMatch(e -> e.kind().wireName().equals("inference"));
    }
  }

  @Test
  void aFlippedByteInTheStoredModelIsRefusedAtLoadNamingTheArtifact() throws Exception {
    try (Home home = Home.init(homeDir)) {
      Runner.Result result = run(home);
      Path blob = home.store().pathOf(result.chain().model());
      flipByte(blob, Files.size(blob) / 2);
      assertThatThrownBy(
              () ->
                  ServedModel.load("credit-risk", home.registry(), home.chainVerifier(),
                      home.trust(), "t"))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining(result.chain().model().toString());
    }
  }

  @Test
  void aFailingGateStopsTheRunBeforeRegistration() throws Exception {
    Home.init(homeDir).close();
    Path policies = homeDir.resolve("policies/gates.json");
    Files.writeString(
        policies,
        Files.readString(policies).replace("metrics.auc >= 0.70", "metrics.auc >= 0.99"));
    try (Home home = Home.open(homeDir)) {
      // a reviewed, signed change of policy, by a runner
      home.approvePolicies(dev.bastion.pipeline.Integrity.currentUser());
      assertThatThrownBy(() -> run(home))
          .isInstanceOf(GateFailedException.class)
          .hasMessageContaining("gate 'register' denied");
      assertThat(home.registry().list()).isEmpty();
      assertThatThrownBy(
              () ->
                  ServedModel.load("credit-risk", home.registry(), home.chainVerifier(),
                      home.trust(), "t"))
          // Nothing registered under the name: bad input to serve, as to verify-chain (the
          // gate's refusal was the run's failed check).
          .isInstanceOf(dev.bastion.core.BadInputException.class)
          .hasMessage("no registered model named 'credit-risk'");
      // The refusal itself is on the ledger, and the ledger holds.
      assertThat(LedgerVerifier.events(homeDir.resolve("ledger")))
          .anyMatch(e -> e.kind().wireName().equals("gate_decision") && e.outcome().equals("fail"));
      LedgerVerifier.verify(homeDir.resolve("ledger"), Home.ledgerVerifier(homeDir));
    }
  }

  @Test
  void aFlippedByteInTheLedgerIsDetectedAndLocated() throws Exception {
    try (Home home = Home.init(homeDir)) {
      run(home);
      Path entries = homeDir.resolve("ledger/segments/00000000000000000000.jsonl");
      List<String> lines = Files.readAllLines(entries);
      int target = 12;
      long offset = 0;
      int line = 0;
      // Checkpoint lines sit between the entries: find the line of entry 12 by its index field.
      while (!lines.get(line).endsWith(",\"i\":" + target + "}")) {
        offset += lines.get(line).getBytes(StandardCharsets.UTF_8).length + 1;
        line++;
      }
      // Inside the actor's name: the line stays valid JSON, only its content changes.
      int at = lines.get(line).indexOf("\"actor\":\"") + 10;
      flipByte(entries, offset + at);
      NoteVerifier key = Home.ledgerVerifier(homeDir);
      assertThatThrownBy(() -> LedgerVerifier.verify(homeDir.resolve("ledger"), key))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining("ledger entry " + target);
    }
  }

  @Test
  void theDemoRunsTwiceInOneHome() throws Exception {
    var out = new java.io.ByteArrayOutputStream();
    var ps = new java.io.PrintStream(out, true, StandardCharsets.UTF_8);
    new Demo(homeDir, pipeline, ps).run();
    new Demo(homeDir, pipeline, ps).run();
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("credit-risk v1").contains("credit-risk v2")
        .contains("already initialised").contains("response 200").contains("ledger ok");
  }

  static void flipByte(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x01);
    }
  }
}
