package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.crypto.Keyring;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.InputGuard;
import dev.bastion.serve.ServedModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The input guard: the schema's ranges always, the training profile per policy. */
class GatewayGuardTest {
  @TempDir static Path tmp;
  static Home home;
  static ServedModel served;
  static GatewayClient client;

  /**
   * The demo instance asking for 150,000: allowed by the schema (up to 1,000,000), eight times the
   * largest loan in training.
   */
  static final String UNUSUAL =
      EndToEndTest.INSTANCE.replace("\"credit_amount\":1169", "\"credit_amount\":150000");

  @BeforeAll
  static void start() throws Exception {
    Path pipeline = Examples.copyCredit(tmp.resolve("credit"));
    home = Home.init(tmp.resolve("home"));
    Examples.run(home, pipeline);
    served =
        ServedModel.load("credit-risk", home.registry(), home.chainVerifier(), home.trust(), "t");
    client = GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT);
  }

  @AfterAll
  static void stop() throws Exception {
    home.close();
  }

  private static Gateway gateway(InputGuard.Policy policy) throws Exception {
    return Gateway.start(
        new Gateway.Config("127.0.0.1", 0, 1000, 1000, 1 << 16, 5).withOod(policy), served,
        home.keyring(), home.trust(), home.ledger());
  }

  private static Event lastInference() throws Exception {
    List<Event> events = LedgerVerifier.events(home.ledger().directory());
    for (int i = events.size() - 1; i >= 0; i--) {
      if (events.get(i).kind() == EventKind.INFERENCE) {
        return events.get(i);
      }
    }
    throw new AssertionError("no inference on the ledger");
  }

  @Test
  void anOrdinaryInstancePasses() throws Exception {
    try (Gateway g = gateway(InputGuard.Policy.REJECT)) {
      GatewayClient.Reply r = client.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);

      assertThat(r.status()).isEqualTo(200);
      assertThat(lastInference().details()).containsEntry("guard.input", "pass");
    }
  }

  @Test
  void aValueOutsideTheSchemaIsRefusedWhateverThePolicy() throws Exception {
    for (InputGuard.Policy p : InputGuard.Policy.values()) {
      try (Gateway g = gateway(p)) {
        GatewayClient.Reply r = client.post(g.port(), EndToEndTest.PREDICT,
            EndToEndTest.INSTANCE.replace("\"age\":67", "\"age\":17"));

        assertThat(r.status()).as("%s", p).isEqualTo(400);
        assertThat(r.body()).contains("\"error\":\"out_of_domain\"")
            .contains("field 'age' is outside its declared range [18, 100]");
        assertThat(g.modelCalls()).isZero();
        assertThat(lastInference().details()).containsEntry("guard.input", "reject")
            .containsEntry("error", "out_of_domain");
      }
    }
  }

  @Test
  void anUnusualInstanceIsFlaggedAndAnswered() throws Exception {
    try (Gateway g = gateway(InputGuard.Policy.FLAG)) {
      GatewayClient.Reply r = client.post(g.port(), EndToEndTest.PREDICT, UNUSUAL);

      assertThat(r.status()).isEqualTo(200);
      assertThat(g.modelCalls()).isEqualTo(1);
      Event e = lastInference();
      assertThat(e.details()).containsEntry("guard.input", "flag")
          .containsEntry("ood.flagged", "1");
      assertThat(Double.parseDouble(e.details().get("ood.max"))).isGreaterThan(1);
    }
  }

  @Test
  void anUnusualInstanceIsRefusedUnderReject() throws Exception {
    try (Gateway g = gateway(InputGuard.Policy.REJECT)) {
      GatewayClient.Reply r = client.post(g.port(), EndToEndTest.PREDICT, UNUSUAL);

      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).contains("\"error\":\"out_of_distribution\"")
          .contains("instances[0]: unlike the model's training data");
      assertThat(g.modelCalls()).isZero();
    }
  }
}
