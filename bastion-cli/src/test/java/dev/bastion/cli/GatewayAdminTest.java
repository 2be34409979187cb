package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.crypto.Keyring;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.ServedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin listener: hot swap and rollback, verified and on the ledger, for admins only. */
class GatewayAdminTest {
  static final String BASE = "/v1/admin/models/credit-risk";

  @TempDir static Path tmp;
  static Home home;
  static GatewayClient admin;
  static GatewayClient client;

  @BeforeAll
  static void start() throws Exception {
    Path pipeline = Examples.copyCredit(tmp.resolve("credit"));
    home = Home.init(tmp.resolve("home"));
    Examples.run(home, pipeline);
    Examples.run(home, pipeline);
    home.keyring().issueClient("ops", "admin");
    admin = GatewayClient.as(home.keyring(), "ops");
    client = GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT);
  }

  @AfterAll
  static void stop() throws Exception {
    home.close();
  }

  private static ServedModel load(String ref)
      throws dev.bastion.core.BastionException, java.io.IOException {
    return ServedModel.load(ref, home.registry(), home.chainVerifier(), home.trust(), "t");
  }

  private static Gateway gateway(String ref) throws Exception {
    return Gateway.start(
        new Gateway.Config("127.0.0.1", 0, 1000, 1000, 1 << 16, 5).withAdminPort(0), load(ref),
        GatewayAdminTest::load, home.keyring(), home.trust(), home.ledger());
  }

  private static List<Event> changes() throws Exception {
    return LedgerVerifier.events(home.ledger().directory()).stream()
        .filter(e -> e.kind() == EventKind.CONFIG_CHANGE && e.action().startsWith("model."))
        .toList();
  }

  @Test
  void reloadSwapsToTheNewestVersionAndRollbackComesBack() throws Exception {
    try (Gateway g = gateway("credit-risk@1")) {
      int admPort = g.adminPort().orElseThrow();
      int before = changes().size();

      GatewayClient.Reply reload = admin.post(admPort, BASE + ":reload", "");
      assertThat(reload.status()).isEqualTo(200);
      assertThat(reload.body()).contains("\"version\":2").contains("\"previous_versions\":[1]");
      assertThat(g.served().version()).isEqualTo(2);
      assertThat(client.get(g.port(), "/v1/models/credit-risk").body())
          .contains("\"version\":\"2\"");
      assertThat(client.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
          .isEqualTo(200);

      GatewayClient.Reply back = admin.post(admPort, BASE + ":rollback", "");
      assertThat(back.status()).isEqualTo(200);
      assertThat(back.body()).contains("\"version\":1").contains("\"previous_versions\":[]");
      assertThat(g.served().version()).isEqualTo(1);

      GatewayClient.Reply none = admin.post(admPort, BASE + ":rollback", "");
      assertThat(none.status()).isEqualTo(409);
      assertThat(none.body()).contains("nothing_to_roll_back");

      GatewayClient.Reply named = admin.post(admPort, BASE + ":rollback", "{\"version\":2}");
      assertThat(named.status()).isEqualTo(200);
      assertThat(g.served().version()).isEqualTo(2);

      List<Event> after = changes();
      assertThat(after).hasSize(before + 3);
      assertThat(after.subList(before, after.size())).extracting(Event::action)
          .containsExactly("model.reload", "model.rollback", "model.rollback");
      assertThat(after.get(before).actor()).isEqualTo("ops");
      assertThat(after.get(before).details()).containsEntry("to",
          "v2 " + load("credit-risk@2").digest());
    }
  }

  @Test
  void endpointsWithoutABodyRefuseOneAndItsSizeIsLimitedAsEverywhere() throws Exception {
    try (Gateway g = gateway("credit-risk@1")) {
      int admPort = g.adminPort().orElseThrow();
      int before = changes().size();
      GatewayClient.Reply some = admin.post(admPort, BASE + ":reload", "{\"version\":2}");
      assertThat(some.status()).isEqualTo(400);
      assertThat(some.body()).contains("takes no body");
      // The config's limit is 64 KiB: a larger body is 413 here as on every other endpoint.
      GatewayClient.Reply big = admin.post(admPort, BASE + ":reload", "x".repeat(70_000));
      assertThat(big.status()).isEqualTo(413);
      GatewayClient.Reply reinstate =
          admin.post(admPort, "/v1/admin/clients/someone:reinstate", "{}");
      assertThat(reinstate.status()).isEqualTo(400);
      assertThat(g.served().version()).as("nothing swapped").isEqualTo(1);
      assertThat(changes()).hasSize(before);
    }
  }

  @Test
  void onlyAdminsAndOnlyOnTheAdminListener() throws Exception {
    try (Gateway g = gateway("credit-risk@1")) {
      int admPort = g.adminPort().orElseThrow();

      GatewayClient.Reply notAdmin = client.post(admPort, BASE + ":reload", "");
      assertThat(notAdmin.status()).isEqualTo(403);
      // The main listener does not know the admin endpoints, even for an admin.
      assertThat(admin.post(g.port(), BASE + ":reload", "").status()).isEqualTo(404);
      // Predictions are not served on the admin listener.
      assertThat(client.post(admPort, EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
          .isEqualTo(403);
      assertThat(admin.post(admPort, EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
          .isEqualTo(404);
      assertThat(GatewayClient.anonymous(home.keyring()).get(admPort, BASE).status())
          .isEqualTo(401);
      assertThat(g.served().version()).isEqualTo(1);
    }
  }

  @Test
  void aVersionThatDoesNotVerifyIsRefusedAndTheModelStays() throws Exception {
    ServedModel v2 = load("credit-risk@2");
    ServedModel v1 = load("credit-risk@1");
    Path artifact = home.store().pathOf(v2.digest());
    byte[] good = Files.readAllBytes(artifact);
    try (Gateway g = gateway("credit-risk@1")) {
      byte[] bad = good.clone();
      bad[bad.length / 2] ^= 1;
      Files.write(artifact, bad);
      try {
        GatewayClient.Reply r = admin.post(g.adminPort().orElseThrow(), BASE + ":reload", "");

        assertThat(r.status()).isEqualTo(409);
        assertThat(r.body()).contains("verification_failed").contains("still serving v1");
        assertThat(g.served().digest()).isEqualTo(v1.digest());
        assertThat(client.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
            .isEqualTo(200);
      } finally {
        Files.write(artifact, good);
      }
    }
  }

  @Test
  void theAdminListenerIsClosedByDefault() throws Exception {
    try (Gateway g = Gateway.start(new Gateway.Config("127.0.0.1", 0, 1000, 1000, 1 << 16, 5),
        load("credit-risk"), home.keyring(), home.trust(), home.ledger())) {
      assertThat(g.adminPort()).isEmpty();
      assertThat(admin.post(g.port(), BASE + ":reload", "").status()).isEqualTo(404);
    }
  }
}
