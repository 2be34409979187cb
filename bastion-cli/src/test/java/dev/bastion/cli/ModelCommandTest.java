package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.Json;
import dev.bastion.crypto.Pem;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Random;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code bastion model sign|verify}: exit codes 0, 1 and 2, one line per problem, no traces. */
class ModelCommandTest {
  @TempDir Path tmp;
  Path model;
  Path key;
  Path pub;

  record Outcome(int code, String out, String err) {}

  private static Outcome run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Outcome(code, out.toString(), err.toString());
  }

  private static KeyPair ec(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  private Path write(String name, String text) throws Exception {
    Path p = tmp.resolve(name);
    Files.writeString(p, text, StandardCharsets.US_ASCII);
    return p;
  }

  @BeforeEach
  void setUp() throws Exception {
    model = tmp.resolve("model");
    Files.createDirectories(model.resolve("sub"));
    Files.writeString(model.resolve("weights.bin"), "weights");
    Files.writeString(model.resolve("sub/config.json"), "{}");
    KeyPair kp = ec("secp256r1");
    key = write("key.pem", Pem.encode("PRIVATE KEY", kp.getPrivate().getEncoded()));
    pub = write("pub.pem", Pem.encode("PUBLIC KEY", kp.getPublic().getEncoded()));
  }

  private String sig() {
    return tmp.resolve("model.sig").toString();
  }

  private Outcome sign(String... extra) {
    String[] base = {"model", "sign", model.toString(), "--private-key", key.toString(),
        "--signature", sig()};
    return run(concat(base, extra));
  }

  private Outcome verify(String... extra) {
    String[] base = {"model", "verify", model.toString(), "--signature", sig()};
    return run(concat(base, extra));
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void signThenVerifyWithAKey() {
    Outcome s = sign();
    assertThat(s.code()).as(s.err()).isZero();
    assertThat(s.out()).startsWith("signed ");

    Outcome v = verify("--public-key", pub.toString());
    assertThat(v.code()).as(v.err()).isZero();
    assertThat(v.out()).contains("verified").contains("2 resource(s) match");
  }

  @Test
  void everyChangeIsNamedOnItsOwnLineAndExitsOne() throws Exception {
    assertThat(sign().code()).isZero();
    Files.writeString(model.resolve("weights.bin"), "tampered");
    Files.delete(model.resolve("sub/config.json"));
    Files.writeString(model.resolve("extra.bin"), "x");

    Outcome v = verify("--public-key", pub.toString());

    assertThat(v.code()).isEqualTo(1);
    assertThat(v.err().lines().toList()).containsExactly(
        "bastion: the model does not match its signature: 1 added, 1 removed, 1 modified",
        "  added (not signed): extra.bin",
        "  removed (signed, missing): sub/config.json",
        "  modified (digest differs): weights.bin");
  }

  @Test
  void shardsAreSignedAndVerified() throws Exception {
    byte[] big = new byte[5000];
    new Random(3).nextBytes(big);
    Files.write(model.resolve("weights.bin"), big);
    Outcome s = sign("--shards=1K");
    assertThat(s.code()).as(s.err()).isZero();
    JsonNode bundle = Json.parse(Files.readAllBytes(Path.of(sig())), "bundle");
    JsonNode statement = Json.parse(Base64.getDecoder().decode(
        bundle.path("dsseEnvelope").path("payload").asText()), "statement");
    JsonNode ser = statement.path("predicate").path("serialization");
    assertThat(ser.path("method").asText()).isEqualTo("shards");
    assertThat(ser.path("shard_size").asLong()).isEqualTo(1024);
    // 5 shards of weights.bin, 1 of sub/config.json.
    assertThat(statement.path("predicate").path("resources")).hasSize(6);
    assertThat(verify("--public-key", pub.toString()).code()).isZero();

    big[4500] ^= 1;
    Files.write(model.resolve("weights.bin"), big);
    Outcome v = verify("--public-key", pub.toString());
    assertThat(v.code()).isEqualTo(1);
    assertThat(v.err()).contains("modified (digest differs): weights.bin");

    assertThat(sign("--shards").code()).isZero(); // the reference default, 1,000,000,000
    assertThat(verify("--public-key", pub.toString()).code()).isZero();
    for (String bad : new String[] {"--shards=0", "--shards=512", "--shards=lots"}) {
      Outcome o = sign(bad);
      assertThat(o.code()).as(bad).isEqualTo(2);
      assertThat(o.err().strip().lines()).as(bad).hasSize(1).allMatch(l -> l.contains("--shards"));
    }
  }

  @Test
  void symlinksInsideTheModelOnlyWhenAllowed() throws Exception {
    Files.createSymbolicLink(model.resolve("link.json"), Path.of("sub/config.json"));
    Outcome refused = sign();
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err()).contains("link.json").doesNotContain("Exception");

    Outcome s = sign("--allow-symlinks");
    assertThat(s.code()).as(s.err()).isZero();
    assertThat(verify("--public-key", pub.toString()).code()).isZero();

    // A link that leaves the model is never followed, allowed or not.
    Files.writeString(tmp.resolve("outside.txt"), "secret");
    Files.createSymbolicLink(model.resolve("escape"), tmp.resolve("outside.txt"));
    Outcome escape = sign("--allow-symlinks");
    assertThat(escape.code()).isEqualTo(2);
    assertThat(escape.err()).contains("escape");
  }

  @Test
  void aLinkAppearingInAModelSignedWithoutLinksIsTampering() throws Exception {
    assertThat(sign().code()).isZero();
    Files.createSymbolicLink(model.resolve("link.json"), Path.of("sub/config.json"));
    Outcome added = verify("--public-key", pub.toString());
    assertThat(added.code()).as(added.err()).isEqualTo(1);
    assertThat(added.err()).contains("link.json").contains("changed since it was signed");
    Files.delete(model.resolve("link.json"));
    assertThat(verify("--public-key", pub.toString()).code()).isZero();
    // A signed file replaced by a link to a copy of itself.
    Files.move(model.resolve("weights.bin"), model.resolve("weights.real"));
    Files.createSymbolicLink(model.resolve("weights.bin"), Path.of("weights.real"));
    Outcome replaced = verify("--public-key", pub.toString(), "--ignore-unsigned-files");
    assertThat(replaced.code()).as(replaced.err()).isEqualTo(1);
    assertThat(replaced.err()).contains("weights.bin");
  }

  @Test
  void ignoreOptionsOnVerify() throws Exception {
    assertThat(sign("--ignore-paths", "scratch").code()).isZero();
    Files.createDirectories(model.resolve("scratch"));
    Files.writeString(model.resolve("scratch/tmp"), "ignored when signing, recorded in the bundle");
    assertThat(verify("--public-key", pub.toString()).code()).isZero();

    Files.writeString(model.resolve("new"), "unsigned");
    assertThat(verify("--public-key", pub.toString()).code()).isEqualTo(1);
    assertThat(verify("--public-key", pub.toString(), "--ignore-unsigned-files").code()).isZero();
    assertThat(verify("--public-key", pub.toString(), "--ignore-paths", "new").code()).isZero();
  }

  @Test
  void theWrongKeyFailsWithOneLine() throws Exception {
    assertThat(sign().code()).isZero();
    Path other = write("other.pem", Pem.encode("PUBLIC KEY", ec("secp384r1").getPublic().getEncoded()));

    Outcome v = verify("--public-key", other.toString());

    assertThat(v.code()).isEqualTo(1);
    assertThat(v.err().lines().toList()).hasSize(1);
    assertThat(v.err()).startsWith("bastion: the bundle names another public key");
  }

  @ParameterizedTest
  @ValueSource(strings = {"missing", "garbage", "directory"})
  void anUnusableKeyFileExitsTwoWithoutATrace(String what) throws Exception {
    Path bad = switch (what) {
      case "missing" -> tmp.resolve("nope.pem");
      case "garbage" -> write("garbage.pem", "not a key");
      default -> tmp;
    };
    Outcome s = run("model", "sign", model.toString(), "--private-key", bad.toString(),
        "--signature", sig());
    assertThat(s.code()).isEqualTo(2);
    assertThat(s.err().lines().toList()).hasSize(1);
    assertThat(s.err()).startsWith("bastion: ").doesNotContain("Exception").doesNotContain("\tat ");

    assertThat(sign().code()).isZero();
    Outcome v = verify("--public-key", bad.toString());
    assertThat(v.code()).isEqualTo(2);
    assertThat(v.err()).startsWith("bastion: ").doesNotContain("\tat ");
  }

  @Test
  void aMissingTruncatedOrEmptyBundleExitsTwo() throws Exception {
    Outcome missing = verify("--public-key", pub.toString());
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("no such signature bundle");

    assertThat(sign().code()).isZero();
    byte[] b = Files.readAllBytes(Path.of(sig()));
    Files.write(Path.of(sig()), java.util.Arrays.copyOf(b, b.length / 2));
    Outcome truncated = verify("--public-key", pub.toString());
    assertThat(truncated.code()).isEqualTo(2);
    assertThat(truncated.err()).startsWith("bastion: " + sig() + ": not valid JSON at line ");

    Files.write(Path.of(sig()), new byte[0]);
    assertThat(verify("--public-key", pub.toString()).code()).isEqualTo(2);
  }

  @Test
  void aMissingModelExitsTwo() {
    Outcome s = run("model", "sign", tmp.resolve("absent").toString(), "--private-key",
        key.toString(), "--signature", sig());
    assertThat(s.code()).isEqualTo(2);
    assertThat(s.err()).contains("no such model file or directory");
  }

  @Test
  void badUsageExitsTwo() {
    assertThat(sign().code()).isZero();
    assertThat(verify().code()).as("neither key nor CA").isEqualTo(2);
    assertThat(verify("--public-key", pub.toString(), "--cert-chain", pub.toString()).code())
        .as("both").isEqualTo(2);
    assertThat(sign("--cert-chain", pub.toString()).code()).as("chain without certificate")
        .isEqualTo(2);
    assertThat(run("model", "verify", model.toString(), "--public-key", pub.toString()).code())
        .as("no --signature").isEqualTo(2);
  }

  @Test
  void theSignatureNeverReplacesAnInput() throws Exception {
    byte[] keyBefore = Files.readAllBytes(key);
    Outcome o = run("model", "sign", model.toString(), "--private-key", key.toString(),
        "--signature", key.toString());
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err().strip()).isEqualTo("bastion: " + key
        + ": is also an input; write the output elsewhere");
    assertThat(Files.readAllBytes(key)).isEqualTo(keyBefore);
    o = run("model", "sign", model.toString(), "--private-key", key.toString(),
        "--signature", tmp.toString());
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err().strip()).isEqualTo("bastion: " + tmp + ": is a directory; name a file");
  }

  // ---- the certificate method ----

  private static X509Certificate cert(X500Name subject, X500Name issuer, PublicKey key,
      PrivateKey issuerKey, boolean ca) throws Exception {
    return cert(subject, issuer, key, issuerKey, ca, true);
  }

  private static X509Certificate cert(X500Name subject, X500Name issuer, PublicKey key,
      PrivateKey issuerKey, boolean ca, boolean maySign) throws Exception {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer,
        BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(Duration.ofDays(1))), subject, key);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign
        : maySign ? KeyUsage.digitalSignature : KeyUsage.keyEncipherment));
    if (!ca && maySign) {
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(KeyPurposeId.id_kp_codeSigning));
    }
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
  }

  @Test
  void signThenVerifyWithACertificateChain() throws Exception {
    KeyPair rootKey = ec("secp384r1");
    KeyPair intKey = ec("secp256r1");
    KeyPair leafKey = ec("secp521r1");
    X500Name rootName = new X500Name("CN=cli root");
    X500Name intName = new X500Name("CN=cli intermediate");
    X509Certificate root = cert(rootName, rootName, rootKey.getPublic(), rootKey.getPrivate(), true);
    X509Certificate inter = cert(intName, rootName, intKey.getPublic(), rootKey.getPrivate(), true);
    X509Certificate leaf = cert(new X500Name("CN=cli signer"), intName, leafKey.getPublic(),
        intKey.getPrivate(), false);
    Path leafKeyPem = write("leaf-key.pem", Pem.encode("PRIVATE KEY", leafKey.getPrivate().getEncoded()));
    Path leafPem = write("leaf.pem", Pem.encode(leaf));
    Path intPem = write("int.pem", Pem.encode(inter));
    Path rootPem = write("root.pem", Pem.encode(root));

    Outcome s = run("model", "sign", model.toString(), "--private-key", leafKeyPem.toString(),
        "--signing-cert", leafPem.toString(), "--cert-chain", intPem.toString(),
        "--signature", sig());
    assertThat(s.code()).as(s.err()).isZero();

    Outcome v = verify("--cert-chain", rootPem.toString());
    assertThat(v.code()).as(v.err()).isZero();
    assertThat(v.out()).contains("CN=cli signer");

    KeyPair otherKey = ec("secp256r1");
    X500Name otherName = new X500Name("CN=other root");
    Path otherPem = write("other-root.pem", Pem.encode(
        cert(otherName, otherName, otherKey.getPublic(), otherKey.getPrivate(), true)));
    Outcome wrong = verify("--cert-chain", otherPem.toString());
    assertThat(wrong.code()).isEqualTo(1);
    assertThat(wrong.err()).contains("does not chain to a trusted certificate");

    Outcome asKey = verify("--public-key", pub.toString());
    assertThat(asKey.code()).isEqualTo(1);
    assertThat(asKey.err()).contains("signed with a certificate");
  }

  @Test
  void aCertificateThatMayNotSignIsRefusedAtSigning() throws Exception {
    KeyPair rootKey = ec("secp256r1");
    KeyPair leafKey = ec("secp256r1");
    X500Name rootName = new X500Name("CN=cli root");
    X509Certificate leaf = cert(new X500Name("CN=encipher only"), rootName, leafKey.getPublic(),
        rootKey.getPrivate(), false, false);
    Path leafKeyPem =
        write("enc-key.pem", Pem.encode("PRIVATE KEY", leafKey.getPrivate().getEncoded()));
    Path leafPem = write("enc.pem", Pem.encode(leaf));
    Outcome s = run("model", "sign", model.toString(), "--private-key", leafKeyPem.toString(),
        "--signing-cert", leafPem.toString(), "--signature", sig());
    // A verifier refuses such a bundle, so it is not made.
    assertThat(s.code()).as(s.err()).isEqualTo(2);
    assertThat(s.err().strip()).startsWith("bastion: the signing certificate ")
        .endsWith("may not sign: it has neither the digitalSignature key usage nor code signing");
    assertThat(Path.of(sig())).doesNotExist();
  }
}
