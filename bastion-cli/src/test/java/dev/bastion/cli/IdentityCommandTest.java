package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.crypto.Pem;
import dev.bastion.pipeline.Home;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.ServedModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bastion identity issue|revoke}: files a TLS client can use as they are, and a revocation
 * that a running gateway honours from the next request, without a restart.
 */
class IdentityCommandTest {
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

  private static int execute(StringWriter err, String... args) {
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(new StringWriter(), true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private static GatewayClient client(Path dir, String name) throws Exception {
    X509Certificate cert = Pem.certificate(Files.readAllBytes(dir.resolve(name + ".crt")), "crt");
    X509Certificate ca = Pem.certificate(Files.readAllBytes(dir.resolve("ca.crt")), "ca");
    PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
        Pem.decode(Files.readString(dir.resolve(name + ".key")), "PRIVATE KEY", "key")));
    char[] pw = "pw".toCharArray();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(name, key, pw, new Certificate[] {cert});
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("ca", ca);
    return GatewayClient.with(ks, pw, ts);
  }

  @Test
  void aModelNotRegisteredIsAllowedButSaid() throws Exception {
    StringWriter err = new StringWriter();
    assertThat(execute(err, "identity", "issue", "bob", "--role", "predict", "--model",
        "credit-risk", "--model", "credit-rsik", "--out", tmp.resolve("bob").toString()))
        .as(err.toString()).isZero();
    assertThat(err.toString().strip()).isEqualTo("note: no model named 'credit-rsik' is"
        + " registered yet; bob reaches it only once one is");
  }

  @Test
  void anIssuedIdentityWorksUntilItIsRevokedWithoutARestart() throws Exception {
    Path out = tmp.resolve("alice");
    StringWriter err = new StringWriter();
    assertThat(execute(err, "identity", "issue", "alice", "--role", "predict", "--out",
        out.toString())).as(err.toString()).isZero();
    assertThat(Files.getPosixFilePermissions(out.resolve("alice.key")))
        .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
    X509Certificate cert = Pem.certificate(Files.readAllBytes(out.resolve("alice.crt")), "crt");
    X509Certificate ca = Pem.certificate(Files.readAllBytes(out.resolve("ca.crt")), "ca");
    cert.verify(ca.getPublicKey()); // issued by the deployment's CA
    assertThat(cert.getSubjectX500Principal().getName()).contains("CN=alice", "OU=predict");
    // The key is the certificate's.
    PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
        Pem.decode(Files.readString(out.resolve("alice.key")), "PRIVATE KEY", "key")));
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(key);
    s.update(new byte[] {1, 2, 3});
    byte[] sig = s.sign();
    s.initVerify(cert.getPublicKey());
    s.update(new byte[] {1, 2, 3});
    assertThat(s.verify(sig)).isTrue();

    try (Home home = Home.open(homeDir)) {
      ServedModel served = ServedModel.load("credit-risk", home.registry(), home.chainVerifier(),
          home.trust(), "t");
      try (Gateway g = Gateway.start(Gateway.Config.defaults().withPort(0), served,
          home.keyring(), home.trust(), home.ledger())) {
        GatewayClient alice = client(out, "alice");
        assertThat(alice.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
            .isEqualTo(200);
        // curl takes the three files as they are.
        Path body = Files.writeString(tmp.resolve("body.json"), EndToEndTest.INSTANCE);
        Process curl = new ProcessBuilder(List.of("curl", "-s", "-o", "/dev/null",
            "-w", "%{http_code}", "--cert", out.resolve("alice.crt").toString(),
            "--key", out.resolve("alice.key").toString(),
            "--cacert", out.resolve("ca.crt").toString(),
            "-H", "Content-Type: application/json", "--data-binary", "@" + body,
            "https://127.0.0.1:" + g.port() + EndToEndTest.PREDICT))
            .redirectErrorStream(true).start();
        assertThat(new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
            .isEqualTo("200");

        long calls = g.modelCalls();
        assertThat(execute(err, "identity", "revoke", "alice", "--reason", "laptop lost"))
            .as(err.toString()).isZero();
        GatewayClient.Reply r =
            alice.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.body()).contains("revoked");
        assertThat(g.modelCalls()).isEqualTo(calls);

        // Another identity is unaffected; a CRL that does not verify refuses everyone.
        Path bob = tmp.resolve("bob");
        assertThat(execute(err, "identity", "issue", "bob", "--role", "predict", "--out",
            bob.toString())).isZero();
        GatewayClient bobClient = client(bob, "bob");
        assertThat(bobClient.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE)
            .status()).isEqualTo(200);
        Path crl = homeDir.resolve("keys").resolve("ca.crl");
        byte[] good = Files.readAllBytes(crl);
        byte[] bad = good.clone();
        bad[bad.length - 5] ^= 1;
        Files.write(crl, bad);
        r = bobClient.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.body()).contains("revocation status cannot be checked");
        Files.delete(crl);
        assertThat(bobClient.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE)
            .status()).as("a CRL removed after one was seen").isEqualTo(401);
        Files.write(crl, good);
        assertThat(bobClient.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE)
            .status()).isEqualTo(200);
        // A newer CRL, then the older one put back (a rollback that would un-revoke): refused.
        assertThat(execute(err, "identity", "revoke", "bob")).isZero();
        assertThat(bobClient.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE)
            .body()).contains("revoked"); // the gateway has seen the newer list
        Files.write(crl, good);
        r = alice.post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.body()).contains("revocation status cannot be checked");
        assertThat(g.modelCalls()).isEqualTo(calls + 2);
      }
    }
  }

  @Test
  void badUsageIsOneLineExitTwo() {
    StringWriter err = new StringWriter();
    assertThat(execute(err, "identity", "issue", "carol", "--role", "root", "--out",
        tmp.resolve("c").toString())).isEqualTo(2);
    assertThat(err.toString().strip())
        .isEqualTo("bastion: --role root: expected one of predict, admin, auditor");
    err = new StringWriter();
    assertThat(execute(err, "identity", "revoke", "nobody")).isEqualTo(2);
    assertThat(err.toString().strip()).startsWith("bastion: no identity 'nobody'");
    err = new StringWriter();
    assertThat(execute(err, "identity", "revoke", "gateway")).isEqualTo(2);
    assertThat(err.toString().strip()).contains("is a component");
  }

  @Test
  void aBadNameLeavesNoDirectoryBehind() {
    for (String name : new String[] {"Bad", "gate", "a/b", "ca"}) {
      Path out = tmp.resolve("out-" + name.hashCode());
      StringWriter err = new StringWriter();
      assertThat(execute(err, "identity", "issue", name, "--role", "predict", "--out",
          out.toString())).as(name).isEqualTo(2);
      assertThat(err.toString().strip()).startsWith("bastion: identity name '" + name + "'");
      assertThat(out).as(name).doesNotExist();
    }
  }

  /**
   * Issues {@code name} once into each of {@code dirs} (deleting its record of serials before the
   * issue at {@code forgetBefore}, as a home of an earlier version had none), revokes it, and
   * checks that a running gateway refuses every one of the certificates, the model not called.
   */
  private void issueRevokeAndRefuseAll(String name, int forgetBefore, Path... dirs)
      throws Exception {
    StringWriter err = new StringWriter();
    for (int i = 0; i < dirs.length; i++) {
      if (i == forgetBefore) {
        Files.delete(homeDir.resolve("keys").resolve("identities").resolve(name + ".issued"));
      }
      assertThat(execute(err, "identity", "issue", name, "--role", "predict", "--out",
          dirs[i].toString())).as(err.toString()).isZero();
    }
    var cl = Main.commandLine();
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute("identity", "revoke", name)).as(err.toString()).isZero();
    assertThat(out.toString()).startsWith("revoked " + name + " (" + dirs.length
        + " certificates, serials ");
    try (Home home = Home.open(homeDir)) {
      ServedModel served = ServedModel.load("credit-risk", home.registry(), home.chainVerifier(),
          home.trust(), "t");
      try (Gateway g = Gateway.start(Gateway.Config.defaults().withPort(0), served,
          home.keyring(), home.trust(), home.ledger())) {
        for (Path dir : dirs) {
          GatewayClient.Reply r = client(dir, name)
              .post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
          assertThat(r.status()).as(dir.toString()).isEqualTo(401);
          assertThat(r.body()).contains("client certificate is revoked");
        }
        assertThat(g.modelCalls()).isZero();
      }
    }
  }

  @Test
  void revokingAReissuedIdentityRefusesItsEarlierCertificateToo() throws Exception {
    issueRevokeAndRefuseAll("erin", -1, tmp.resolve("first"), tmp.resolve("second"));
  }

  @Test
  void aHomeFromBeforeTheRecordFindsEarlierCertificatesOnTheLedger() throws Exception {
    issueRevokeAndRefuseAll("finn", 2, tmp.resolve("c1"), tmp.resolve("c2"), tmp.resolve("c3"));
  }

  @Test
  void reissuingAnIdentityRevokesItsEarlierCertificate() throws Exception {
    // Re-issued with a smaller role: the earlier admin certificate must not keep working beside
    // the new one (one name, two roles).
    StringWriter err = new StringWriter();
    assertThat(execute(err, "identity", "issue", "gail", "--role", "admin", "--out",
        tmp.resolve("g1").toString())).as(err.toString()).isZero();
    var cl = Main.commandLine();
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute("identity", "issue", "gail", "--role", "predict", "--out",
        tmp.resolve("g2").toString())).as(err.toString()).isZero();
    assertThat(out.toString()).contains("revoked gail's earlier certificate, serial ");
    try (Home home = Home.open(homeDir)) {
      java.util.List<dev.bastion.ledger.Event> issues = issuesOf("gail");
      assertThat(issues).hasSize(2);
      assertThat(issues.get(0).details()).doesNotContainKey("revoked");
      assertThat(issues.get(1).details().get("revoked"))
          .isEqualTo(issues.get(0).object().substring("cert:".length()));
      ServedModel served = ServedModel.load("credit-risk", home.registry(), home.chainVerifier(),
          home.trust(), "t");
      try (Gateway g = Gateway.start(Gateway.Config.defaults().withPort(0), served,
          home.keyring(), home.trust(), home.ledger())) {
        GatewayClient.Reply old = client(tmp.resolve("g1"), "gail")
            .post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
        assertThat(old.status()).isEqualTo(401);
        assertThat(old.body()).contains("client certificate is revoked");
        assertThat(g.modelCalls()).isZero();
        assertThat(client(tmp.resolve("g2"), "gail")
            .post(g.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status()).isEqualTo(200);
      }
    }
    // The refusal names the certificate tried (its digest, as its issue entry does) and why.
    java.util.List<java.util.Map<String, String>> denied = new java.util.ArrayList<>();
    dev.bastion.ledger.LedgerVerifier.forEachEvent(homeDir.resolve("ledger"), e -> {
      if (e.kind() == dev.bastion.ledger.EventKind.ACCESS_DENIED) {
        denied.add(e.details());
      }
    });
    assertThat(denied).anySatisfy(d -> {
      assertThat(d.get("credential")).isEqualTo("certificate "
          + issuesOf("gail").get(0).details().get("certificate"));
      assertThat(d.get("reason")).isEqualTo("client certificate is revoked");
    });
  }

  private java.util.List<dev.bastion.ledger.Event> issuesOf(String name) throws Exception {
    java.util.List<dev.bastion.ledger.Event> issues = new java.util.ArrayList<>();
    dev.bastion.ledger.LedgerVerifier.forEachEvent(homeDir.resolve("ledger"), e -> {
      if (e.action().equals("identity-issue") && name.equals(e.details().get("identity"))) {
        issues.add(e);
      }
    });
    return issues;
  }

  @Test
  void aTargetThatIsNotAFileIssuesNothing() throws Exception {
    for (String taken : new String[] {"erin.key", "erin.crt", "ca.crt"}) {
      Path out = tmp.resolve("out-" + taken);
      Files.createDirectories(out.resolve(taken));
      StringWriter err = new StringWriter();
      assertThat(execute(err, "identity", "issue", "erin", "--role", "predict", "--out",
          out.toString())).as(taken).isEqualTo(2);
      assertThat(err.toString().strip()).as(taken).isEqualTo("bastion: " + out.resolve(taken)
          + ": exists and is not a regular file (a directory, a link or a device), which"
          + " writing would replace; nothing was issued");
      try (var left = Files.list(out)) {
        assertThat(left.map(f -> f.getFileName().toString())).containsExactly(taken);
      }
    }
    assertThat(homeDir.resolve("keys").resolve("identities").resolve("erin.crt"))
        .doesNotExist();
  }

  @Test
  void anOutputDirectoryThatCannotBeMadeIssuesNothing() throws Exception {
    for (String out : new String[] {tmp.resolve("no-such").resolve("dir").toString(),
        "/proc/bastion-test"}) {
      StringWriter err = new StringWriter();
      assertThat(execute(err, "identity", "issue", "dave", "--role", "predict", "--out", out))
          .as(out).isEqualTo(2);
      assertThat(err.toString().strip()).startsWith("bastion: " + out + ": cannot create")
          .doesNotContain("internal error");
    }
    assertThat(homeDir.resolve("keys").resolve("identities").resolve("dave.crt"))
        .doesNotExist();
    StringWriter err = new StringWriter();
    assertThat(execute(err, "identity", "revoke", "dave")).as("never issued").isEqualTo(2);
  }
}
