package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.crypto.Keyring;
import dev.bastion.pipeline.Home;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.ServedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Daily query budgets that survive a restart, and bounded concurrency. */
class GatewayBudgetTest {
  @TempDir Path tmp;

  @Test
  void aSpentBudgetStaysSpentAfterARestart() throws Exception {
    Path budgets = tmp.resolve("state").resolve("budgets.json");
    try (Home home = Home.init(tmp.resolve("home"))) {
      ServedModel served = Examples.servedCredit(home, tmp);
      Gateway.Config config = Gateway.Config.defaults().withPort(0)
          .withBudget(3, Optional.of(budgets));
      GatewayClient demo = GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT);
      try (Gateway g = Gateway.start(config, served, home.keyring(), home.trust(),
          home.ledger())) {
        for (int i = 0; i < 3; i++) {
          assertThat(demo.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
              .isEqualTo(200);
        }
        long calls = g.modelCalls();
        GatewayClient.Reply r = demo.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.body()).contains("\"error\":\"budget_exhausted\"");
        assertThat(Long.parseLong(r.retryAfter())).isBetween(1L, 86_400L);
        assertThat(g.modelCalls()).isEqualTo(calls);
      }
      try (Gateway g = Gateway.start(config, served, home.keyring(), home.trust(),
          home.ledger())) {
        assertThat(demo.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
            .as("after a restart").isEqualTo(429);
        home.keyring().issueClient("other-client", "predict");
        assertThat(GatewayClient.as(home.keyring(), "other-client")
            .post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
            .isEqualTo(200);
      }
    }
  }

  @Test
  void aBurstIsOnDiskWithinASecondWithoutAnotherRequest() throws Exception {
    Path budgets = tmp.resolve("state").resolve("budgets.json");
    try (Home home = Home.init(tmp.resolve("home"))) {
      ServedModel served = Examples.servedCredit(home, tmp);
      Gateway.Config config = Gateway.Config.defaults().withPort(0)
          .withBudget(30, Optional.of(budgets));
      GatewayClient demo = GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT);
      try (Gateway g = Gateway.start(config, served, home.keyring(), home.trust(),
          home.ledger())) {
        for (int i = 0; i < 5; i++) {
          assertThat(demo.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
              .isEqualTo(200);
        }
        // No close, no further request: what a kill -9 now would leave behind. Waited for up
        // to 5 s (a loaded machine); the promise is about a second.
        String want = "\"" + Keyring.DEMO_CLIENT + "\":5";
        long until = System.nanoTime() + 5_000_000_000L;
        String onDisk = "";
        while (System.nanoTime() < until && !onDisk.contains(want)) {
          Thread.sleep(100);
          onDisk = java.nio.file.Files.exists(budgets)
              ? java.nio.file.Files.readString(budgets) : "";
        }
        assertThat(onDisk).contains(want);
      }
    }
  }

  /** {@code n} copies of the one instance of {@link EndToEndTest#INSTANCE}, as one request. */
  static String batch(int n) {
    String one = EndToEndTest.INSTANCE.substring("{\"instances\":[".length(),
        EndToEndTest.INSTANCE.length() - "]}".length());
    return "{\"instances\":[" + String.join(",", java.util.Collections.nCopies(n, one)) + "]}";
  }

  @Test
  void theBudgetCountsPredictionsNotRequests() throws Exception {
    try (Home home = Home.init(tmp.resolve("home"))) {
      ServedModel served = Examples.servedCredit(home, tmp);
      Gateway.Config config = Gateway.Config.defaults().withPort(0)
          .withBudget(3, Optional.empty());
      GatewayClient demo = GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT);
      try (Gateway g = Gateway.start(config, served, home.keyring(), home.trust(),
          home.ledger())) {
        GatewayClient.Reply r = demo.post(g.port(), EndToEndTest.PREDICT, batch(5));
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.body()).contains("\"error\":\"budget_exhausted\"")
            .contains("has 3 predictions left, this request asks 5");
        assertThat(g.modelCalls()).isZero();
        r = demo.post(g.port(), EndToEndTest.PREDICT, "{\"instances\":[{\"duration\":\"x\"}]}");
        assertThat(r.status()).as("a malformed request takes nothing").isEqualTo(400);
        assertThat(demo.post(g.port(), EndToEndTest.PREDICT, batch(2)).status()).isEqualTo(200);
        assertThat(demo.post(g.port(), EndToEndTest.PREDICT, batch(1)).status()).isEqualTo(200);
        r = demo.post(g.port(), EndToEndTest.PREDICT, batch(1));
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.body()).contains("is used up");
        assertThat(g.modelCalls()).isEqualTo(3);
      }
    }
  }

  @Test
  void eachRoleSeesWhatItsOutputPolicyAllows() throws Exception {
    try (Home home = Home.init(tmp.resolve("home"))) {
      ServedModel served = Examples.servedCredit(home, tmp);
      Gateway.Config config = Gateway.Config.defaults().withPort(0)
          .withOutput("predict", dev.bastion.serve.OutputPolicy.parse("label"));
      try (Gateway g = Gateway.start(config, served, home.keyring(), home.trust(),
          home.ledger())) {
        GatewayClient.Reply r = GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT)
            .post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).matches("\\{\"predictions\":\\[\\{\"label\":\"(good|bad)\"}]}");
      }
    }
  }

  @Test
  void beyondItsConcurrencyTheGatewaySays503WithRetryAfterNeverCollapses() throws Exception {
    try (Home home = Home.init(tmp.resolve("home"))) {
      ServedModel served = Examples.servedCredit(home, tmp);
      Gateway.Config config = Gateway.Config.defaults().withPort(0).withRate(10_000, 10_000)
          .withMaxConcurrent(1);
      try (Gateway g = Gateway.start(config, served, home.keyring(), home.trust(),
          home.ledger())) {
        int n = 40;
        CyclicBarrier start = new CyclicBarrier(n);
        List<Future<GatewayClient.Reply>> replies = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
          for (int i = 0; i < n; i++) {
            replies.add(pool.submit(() -> {
              GatewayClient c = GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT);
              c.get(g.port(), "/healthz"); // connect first, then fire together
              start.await();
              return c.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
            }));
          }
        }
        int ok = 0;
        int busy = 0;
        for (Future<GatewayClient.Reply> f : replies) {
          GatewayClient.Reply r = f.get();
          if (r.status() == 200) {
            ok++;
          } else {
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.retryAfter()).isEqualTo("1");
            assertThat(r.body()).contains("\"error\":\"unavailable\"");
            busy++;
          }
        }
        assertThat(ok).isPositive();
        assertThat(busy).isPositive();
        assertThat(ok + busy).isEqualTo(n);
        // Every request is on the ledger, those refused for capacity too.
        List<dev.bastion.ledger.Event> events =
            dev.bastion.ledger.LedgerVerifier.events(home.ledger().directory());
        assertThat(events.stream().filter(e -> e.action().equals("POST " + EndToEndTest.PREDICT)
                && e.outcome().equals("refused") && "unavailable".equals(e.details().get("error"))))
            .hasSize(busy);
        assertThat(events.stream().filter(e -> e.action().equals("POST " + EndToEndTest.PREDICT)
                && e.outcome().equals("ok")))
            .hasSize(ok);
      }
    }
  }
}
