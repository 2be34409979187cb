package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.crypto.Keyring;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.Runner;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.ServedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model whose training data is erased while it is served (by {@code bastion data erase} in
 * another process) is withdrawn: no more predictions, an alert on the ledger.
 */
class GatewayWithdrawTest {
  @TempDir Path tmp;

  @Test
  void anErasureWhileServingWithdrawsTheModelWithinSeconds() throws Exception {
    try (Home home = Home.init(tmp.resolve("home"))) {
      Runner.Result result = Examples.run(home, Examples.copyCredit(tmp.resolve("credit")));
      ServedModel served = ServedModel.load("credit-risk", home.registry(),
          home.chainVerifier(), home.trust(), "t");
      GatewayClient demo = GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT);
      try (Gateway g = Gateway.start(Gateway.Config.defaults().withPort(0), served,
          home.keyring(), home.trust(), home.ledger())) {
        assertThat(demo.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
            .isEqualTo(200);
        home.store().erase(result.chain().snapshot(), "operator", "test", "request 11");
        GatewayClient.Reply r = null;
        for (int i = 0; i < 100; i++) { // the gateway checks every second
          r = demo.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
          if (r.status() != 200) {
            break;
          }
          Thread.sleep(100);
        }
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.body()).contains("\"error\":\"model_withdrawn\"")
            .contains("no longer served").contains("erased");
        long calls = g.modelCalls();
        assertThat(demo.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
            .isEqualTo(503);
        assertThat(g.modelCalls()).isEqualTo(calls);
        assertThat(demo.get(g.port(), "/healthz").status()).isEqualTo(503);
        assertThat(demo.get(g.port(), "/v1/models/credit-risk").body())
            .contains("\"state\":\"END\"");
      }
      List<String> alerts = new ArrayList<>();
      LedgerVerifier.forEachEvent(home.ledger().directory(), e -> {
        if (e.kind() == EventKind.ALERT) {
          alerts.add(e.action());
        }
      });
      assertThat(alerts).containsOnlyOnce("model.withdrawn");
    }
  }
}
