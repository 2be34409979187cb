package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.crypto.Keyring;
import dev.bastion.pipeline.Home;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.ServedModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bearer tokens at the gateway: for clients without a certificate, as strict as one. */
class TokenCommandTest {
  @TempDir Path tmp;
  Path homeDir;

  @BeforeEach
  void init() throws Exception {
    homeDir = Examples.creditHome(tmp);
  }

  @AfterEach
  void restore() {
    System.clearProperty(Home.PROPERTY);
  }

  private static String[] run(String... args) {
    var cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new String[] {Integer.toString(code), out.toString().strip(), err.toString().strip()};
  }

  @Test
  void aTokenOpensPredictForItsRoleOnlyAndARevocationClosesIt() throws Exception {
    String[] r = run("token", "issue", "svc-1", "--role", "predict", "--ttl", "5m");
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    String token = r[1];
    assertThat(token.split("\\.")).hasSize(3);
    String auditorToken = run("token", "issue", "aud-1", "--role", "auditor")[1];
    try (Home home = Home.open(homeDir)) {
      ServedModel served = ServedModel.load("credit-risk", home.registry(), home.chainVerifier(),
          home.trust(), "t");
      try (Gateway g = Gateway.start(Gateway.Config.defaults().withPort(0), served,
          home.keyring(), home.trust(), home.ledger())) {
        GatewayClient ok = GatewayClient.anonymous(home.keyring()).withBearer(token);
        assertThat(ok.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
            .isEqualTo(200);
        long calls = g.modelCalls();

        GatewayClient.Reply none = GatewayClient.anonymous(home.keyring())
            .post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.body()).contains("a client certificate or a bearer token is required");

        String flipped = token.substring(0, token.length() - 2)
            + (token.charAt(token.length() - 2) == 'A' ? 'B' : 'A') + token.charAt(token.length() - 1);
        assertThat(GatewayClient.anonymous(home.keyring()).withBearer(flipped)
            .post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status()).isEqualTo(401);
        GatewayClient.Reply otherAud = GatewayClient.anonymous(home.keyring())
            .withBearer(run("token", "issue", "svc-2", "--role", "predict", "--audience",
                "billing")[1])
            .post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
        assertThat(otherAud.status()).isEqualTo(401);
        assertThat(otherAud.body()).contains("audience");

        GatewayClient.Reply wrongRole = GatewayClient.anonymous(home.keyring())
            .withBearer(auditorToken).post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
        assertThat(wrongRole.status()).isEqualTo(403);

        assertThat(run("identity", "revoke", "svc-1")[0]).isEqualTo("0");
        GatewayClient.Reply revoked =
            ok.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
        assertThat(revoked.status()).isEqualTo(401);
        assertThat(revoked.body()).contains("bearer token's identity is revoked");
        assertThat(g.modelCalls()).isEqualTo(calls);
        r = run("token", "issue", "svc-1", "--role", "predict");
        assertThat(r[0]).as("no token for a revoked identity").isEqualTo("2");
        assertThat(r[2]).isEqualTo("bastion: identity 'svc-1' is revoked; 'bastion identity"
            + " issue svc-1 --role predict --out DIR' gives it a new certificate first");

        // A certificate still works as before, but not with a token sent beside it: which of
        // two identities speaks is not guessed.
        assertThat(GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT)
            .post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status()).isEqualTo(200);
        GatewayClient.Reply both = GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT)
            .withBearer(flipped).post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
        assertThat(both.status()).isEqualTo(401);
        assertThat(both.body()).contains("a client certificate and an Authorization header");
      }
    }
  }

  @Test
  void badUsage() {
    String[] r = run("token", "issue", "svc-1", "--role", "predict", "--ttl", "1h");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[2]).isEqualTo("bastion: --ttl 1h: expected Ns or Nm, at most 15m");
    r = run("token", "issue", "svc-1", "--role", "predict", "--ttl", "16m");
    assertThat(r[0]).isEqualTo("2");
    r = run("token", "issue", "demo-client", "--role", "admin");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[2]).contains("has role 'predict', not 'admin'");
  }

  @Test
  void aRefusedTokenIssuesNoIdentity() {
    Path identities = homeDir.resolve("keys").resolve("identities");
    String[] r = run("token", "issue", "svc-9", "--role", "admin", "--audience", "");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[2]).isEqualTo("bastion: audience '' is not a plain name (a-z, 0-9, . _ -)");
    r = run("token", "issue", "Svc-9", "--role", "admin");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[2]).startsWith("bastion: identity name 'Svc-9'");
    r = run("token", "issue", "gateway", "--role", "admin");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[2]).contains("reserved for a component");
    assertThat(identities.resolve("svc-9.crt")).doesNotExist();
    assertThat(identities.resolve("svc-9.key.enc")).doesNotExist();
  }
}
