package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.crypto.Keyring;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.ServedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An address that keeps failing authentication is banned: its connections are then closed before
 * any handshake, so a flood of failures costs the ledger two entries, not one per failure.
 */
class GatewayBanTest {
  @TempDir Path tmp;

  private static List<Event> denied(Home home, String action) throws Exception {
    return LedgerVerifier.events(home.ledger().directory()).stream()
        .filter(e -> e.action().equals(action))
        .toList();
  }

  @Test
  void anAddressThatKeepsFailingIsBannedWithOneEntryForTheBanAndOneForItsEnd() throws Exception {
    try (Home home = Home.init(tmp.resolve("home"))) {
      ServedModel served = Examples.servedCredit(home, tmp);
      home.keyring().issueClient("ops", "admin");
      Gateway g = Gateway.start(
          new Gateway.Config("127.0.0.1", 0, 1000, 1000, 1 << 16, 5).withAuthFailuresPerMinute(3)
              .withAdminPort(0),
          served, ref -> ServedModel.load(ref, home.registry(), home.chainVerifier(),
              home.trust(), "t"), home.keyring(), home.trust(), home.ledger());
      long refusedConnections = 0;
      try {
        GatewayClient stranger = GatewayClient.anonymous(home.keyring());
        GatewayClient demo = GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT);
        assertThat(demo.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
            .isEqualTo(200);
        for (int i = 0; i < 3; i++) {
          assertThat(stranger.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE)
              .status()).isEqualTo(401);
        }
        // Three failures are within the limit: the address still gets in.
        assertThat(demo.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
            .isEqualTo(200);
        assertThat(stranger.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
            .isEqualTo(401);
        // The fourth started a ban: every new connection from this address is closed unanswered,
        // a valid client's too (it shares the address), and nothing more reaches the ledger.
        long size = home.ledger().size();
        for (int i = 0; i < 5; i++) {
          assertThatThrownBy(() -> GatewayClient.anonymous(home.keyring())
              .post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE))
              .isInstanceOf(IOException.class);
          refusedConnections++;
        }
        long calls = g.modelCalls();
        assertThatThrownBy(() -> GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT)
            .post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE))
            .isInstanceOf(IOException.class);
        refusedConnections++;
        assertThat(g.modelCalls()).isEqualTo(calls);
        Thread.sleep(200); // anything queued would be on the ledger by now
        assertThat(home.ledger().size()).isEqualTo(size);
        // The admin listener has no bans: the operators, on the same address, still get in, and
        // failures there are not counted against it.
        int adm = g.adminPort().orElseThrow();
        for (int i = 0; i < 5; i++) {
          assertThat(GatewayClient.anonymous(home.keyring())
              .get(adm, "/v1/admin/models/credit-risk").status()).isEqualTo(401);
        }
        assertThat(GatewayClient.as(home.keyring(), "ops")
            .get(adm, "/v1/admin/models/credit-risk").status()).isEqualTo(200);
      } finally {
        g.close();
      }
      home.ledger().append(Event.now(dev.bastion.ledger.EventKind.CONFIG_CHANGE, "test",
          "flush", "-", "ok", "t", java.util.Map.of())); // the queued entries are in before it
      List<Event> bans = denied(home, "address-banned");
      assertThat(bans).singleElement().satisfies(e -> {
        assertThat(e.object()).isEqualTo("127.0.0.1");
        assertThat(e.details()).containsEntry("failures", "4");
      });
      List<Event> ends = denied(home, "address-ban-cut-short");
      assertThat(ends).hasSize(1);
      assertThat(Long.parseLong(ends.get(0).details().get("refused")))
          .isEqualTo(refusedConnections);
      assertThat(denied(home, "tls-handshake")).isEmpty(); // closed before any handshake
    }
  }
}
