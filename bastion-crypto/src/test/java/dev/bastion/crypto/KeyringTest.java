package dev.bastion.crypto;

import static dev.bastion.crypto.CryptoFixtures.contains;
import static dev.bastion.crypto.CryptoFixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AesGcmKey;
import com.google.crypto.tink.daead.AesSivKey;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KeyringTest {
  /** The associated data Keyring binds its encrypted keysets to. */
  private static final byte[] KEYSET_AD = "bastion:keyset".getBytes(StandardCharsets.UTF_8);

  @TempDir static Path shared;
  private static Path keys;
  private static Keyring keyring;

  @BeforeAll
  static void initialise() throws Exception {
    keys = shared.resolve("keys");
    keyring = Keyring.initialise(keys);
  }

  // ---- initialise ----

  @Test
  void theCheckpointKeyIsEd25519EncryptedAtRestAndStableAcrossOpens() throws Exception {
    byte[] pkcs8 = keyring.checkpointKey();
    assertThat(KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8))
        .getAlgorithm()).isIn("Ed25519", "EdDSA");
    assertThat(Keyring.open(keys).checkpointKey()).isEqualTo(pkcs8);
    assertThat(contains(Files.readAllBytes(keys.resolve("ledger-checkpoint.key.enc")), pkcs8))
        .isFalse();
  }

  @Test
  void firstInitialiseReportsEverythingItCreated() throws Exception {
    Keyring fresh = Keyring.initialise(shared.resolve("first"));

    assertThat(fresh.created())
        .hasSize(3 + 1 + 1 + Keyring.COMPONENTS.size() + 1)
        .anySatisfy(s -> assertThat(s).contains("ledger checkpoint key").contains("encrypted"))
        .anySatisfy(s -> assertThat(s).contains("master key").contains("outside BASTION_HOME"))
        .anySatisfy(s -> assertThat(s).contains("kek.json"))
        .anySatisfy(s -> assertThat(s).contains("tokenizer.json"))
        .anySatisfy(s -> assertThat(s).contains("ca.crt"))
        .anySatisfy(s -> assertThat(s).contains(Keyring.DEMO_CLIENT));
    for (String c : Keyring.COMPONENTS) {
      assertThat(fresh.created()).contains("identity " + c + " (component)");
    }
  }

  @Test
  void aReplacedCaCertificateIsRefusedOnOpen() throws Exception {
    // Another CA's certificate in place of this one's: identities issued under it would verify.
    Path dir = shared.resolve("replaced-ca");
    Keyring.initialise(dir);
    Keyring other = Keyring.initialise(shared.resolve("other-ca"));
    Files.copy(shared.resolve("other-ca/ca.crt"), dir.resolve("ca.crt"),
        StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> Keyring.open(dir))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ca.crt: not the certificate of this home's CA key");
    assertThatThrownBy(() -> Keyring.initialise(dir))
        .isInstanceOf(VerificationException.class);
    assertThat(other.trust().ca()).isNotNull();
  }

  @Test
  void initialiseAgainCreatesNothingAndChangesNoFile() throws Exception {
    Path dir = shared.resolve("twice");
    Keyring first = Keyring.initialise(dir);
    Map<String, String> before = snapshot(dir);

    Keyring second = Keyring.initialise(dir);

    assertThat(second.created()).isEmpty();
    assertThat(snapshot(dir)).isEqualTo(before);
    assertThat(second.trust().ca().getEncoded()).isEqualTo(first.trust().ca().getEncoded());
    assertThat(Files.readAllBytes(dir.resolve("ca.crt")))
        .isEqualTo(HexFormat.of().parseHex(before.get("ca.crt")));
  }

  @Test
  void initialiseRecreatesOnlyAMissingIdentity() throws Exception {
    Path dir = shared.resolve("missing-identity");
    Keyring.initialise(dir);
    Map<String, String> before = snapshot(dir);
    Files.delete(dir.resolve("identities/trainer.crt"));
    Files.delete(dir.resolve("identities/trainer.key.enc"));

    Keyring again = Keyring.initialise(dir);

    assertThat(again.created()).containsExactly("identity trainer (component), made anew"
        + " because it was missing: what the one before signed verifies again only once its"
        + " certificate is restored from a backup");
    Map<String, String> after = snapshot(dir);
    assertThat(after.keySet()).isEqualTo(before.keySet());
    after.keySet().stream()
        .filter(f -> !f.startsWith("identities/trainer."))
        .forEach(f -> assertThat(after.get(f)).as(f).isEqualTo(before.get(f)));
    again.trust().checkIssued(again.identity("trainer").certificate());
  }

  @Test
  void openSeesTheSameKeysAndCreatesNothing() throws Exception {
    Keyring opened = Keyring.open(keys);

    assertThat(opened.created()).isEmpty();
    assertThat(opened.trust().ca()).isEqualTo(keyring.trust().ca());
    assertThat(opened.identity("gate").keyId()).isEqualTo(keyring.identity("gate").keyId());
  }

  @Test
  void everyComponentAndTheDemoClientHasAnIdentityIssuedByTheCa() throws Exception {
    Trust trust = keyring.trust();
    List<String> names = new ArrayList<>(Keyring.COMPONENTS);
    names.add(Keyring.DEMO_CLIENT);

    for (String name : names) {
      Identity id = keyring.identity(name);
      assertThat(id.name()).isEqualTo(name);
      assertThat(id.role())
          .isEqualTo(name.equals(Keyring.DEMO_CLIENT) ? "predict" : Keyring.COMPONENT_ROLE);
      assertThat(trust.identity(id.keyId())).contains(id);
      trust.checkIssued(id.certificate());
    }
  }

  @Test
  void gatewayCertificateIsATlsServerCertificateForLoopback() throws Exception {
    X509Certificate cert = keyring.identity("gateway").certificate();

    assertThat(cert.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1");
    assertThat(cert.getSubjectAlternativeNames())
        .extracting(san -> san.get(1).toString())
        .contains("localhost", "127.0.0.1");
  }

  // ---- what is on disk ----

  @Test
  void secretFilesAreOwnerOnly() throws Exception {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    List<Path> secrets = new ArrayList<>();
    secrets.add(MasterKey.file(keys, false));
    secrets.add(keys.resolve("kek.json"));
    secrets.add(keys.resolve("tokenizer.json"));
    secrets.add(keys.resolve("ca.key.enc"));
    try (Stream<Path> s = Files.list(keys.resolve("identities"))) {
      s.filter(p -> p.toString().endsWith(".key.enc")).forEach(secrets::add);
    }

    List<String> tooOpen = new ArrayList<>();
    for (Path p : secrets) {
      String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
      if (!perms.equals("rw-------")) {
        tooOpen.add(p + " " + perms);
      }
    }
    assertThat(secrets).hasSizeGreaterThanOrEqualTo(4 + Keyring.COMPONENTS.size() + 1);
    assertThat(tooOpen).isEmpty();
  }

  /** Reads the master key as Bastion does, to decrypt the others in the test. */
  private static Aead master(Path dir) throws Exception {
    KeysetHandle h =
        TinkJsonProtoKeysetFormat.parseKeyset(
            Files.readString(MasterKey.file(dir, false)),
            RegistryConfiguration.get(),
            InsecureSecretKeyAccess.get());
    return h.getPrimitive(RegistryConfiguration.get(), Aead.class);
  }

  private static KeysetHandle decryptKeyset(Path file, Aead master) throws Exception {
    return TinkJsonProtoKeysetFormat.parseEncryptedKeyset(
        Files.readString(file), master, KEYSET_AD, RegistryConfiguration.get());
  }

  @Test
  void kekIsAnEncryptedTinkKeysetThatDoesNotContainItsKey() throws Exception {
    byte[] file = Files.readAllBytes(keys.resolve("kek.json"));
    JsonNode json = Json.parse(file, "kek.json");
    KeysetHandle kek = decryptKeyset(keys.resolve("kek.json"), master(keys));
    byte[] raw =
        ((AesGcmKey) kek.getPrimary().getKey())
            .getKeyBytes()
            .toByteArray(InsecureSecretKeyAccess.get());

    assertThat(json.path("encryptedKeyset").isTextual()).isTrue();
    assertThat(json.toString()).doesNotContain("keyData");
    assertThat(raw).hasSize(32);
    assertThat(contains(file, raw)).as("raw key bytes in kek.json").isFalse();
    assertThat(new String(file, StandardCharsets.UTF_8))
        .doesNotContain(Base64.getEncoder().encodeToString(raw))
        .doesNotContain(HexFormat.of().formatHex(raw));
  }

  @Test
  void tokenizerKeysetIsEncryptedToo() throws Exception {
    byte[] file = Files.readAllBytes(keys.resolve("tokenizer.json"));
    KeysetHandle tok = decryptKeyset(keys.resolve("tokenizer.json"), master(keys));
    byte[] raw =
        ((AesSivKey) tok.getPrimary().getKey())
            .getKeyBytes()
            .toByteArray(InsecureSecretKeyAccess.get());

    assertThat(Json.parse(file, "tokenizer.json").path("encryptedKeyset").isTextual()).isTrue();
    assertThat(raw).hasSize(64);
    assertThat(contains(file, raw)).isFalse();
    assertThat(new String(file, StandardCharsets.UTF_8))
        .doesNotContain(Base64.getEncoder().encodeToString(raw));
  }

  @Test
  void encryptedKeysetsAreBoundToTheirAssociatedData() {
    assertThatThrownBy(
            () ->
                TinkJsonProtoKeysetFormat.parseEncryptedKeyset(
                    Files.readString(keys.resolve("kek.json")),
                    master(keys),
                    new byte[0],
                    RegistryConfiguration.get()))
        .isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void privateKeysAreNotStoredInClear() throws Exception {
    List<String> leaks = new ArrayList<>();
    for (String name : Keyring.COMPONENTS) {
      ECPrivateKey key = (ECPrivateKey) keyring.signer(name).privateKey();
      byte[] file = Files.readAllBytes(keys.resolve("identities/" + name + ".key.enc"));
      byte[] s = key.getS().toByteArray();
      byte[] scalar = s.length > 32 ? java.util.Arrays.copyOfRange(s, s.length - 32, s.length) : s;
      if (contains(file, key.getEncoded()) || contains(file, scalar)) {
        leaks.add(name);
      }
      if (new String(file, StandardCharsets.ISO_8859_1).contains("PRIVATE KEY")) {
        leaks.add(name + " (PEM)");
      }
    }
    assertThat(leaks).isEmpty();
    assertThatThrownBy(
            () ->
                KeyFactory.getInstance("EC")
                    .generatePrivate(
                        new PKCS8EncodedKeySpec(Files.readAllBytes(keys.resolve("ca.key.enc")))))
        .isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void signerDoesNotShowItsKey() throws Exception {
    assertThat(keyring.signer("gate")).hasToString("Signer[gate]");
  }

  // ---- open: what it refuses ----

  @Test
  void openOnAnEmptyDirectoryIsBadInput(@TempDir Path empty) {
    assertThatThrownBy(() -> Keyring.open(empty))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("bastion init");
  }

  @Test
  void openOnAMissingDirectoryIsBadInput(@TempDir Path tmp) {
    assertThatThrownBy(() -> Keyring.open(tmp.resolve("nowhere")))
        .isInstanceOf(BadInputException.class);
  }

  @Test
  void openWithAMissingKekIsBadInput(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("keys");
    Keyring.initialise(dir);
    Files.delete(dir.resolve("kek.json"));

    assertThatThrownBy(() -> Keyring.open(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("kek.json");
  }

  private interface Tamper {
    void apply(Path dir, Path otherKeyring) throws Exception;
  }

  /** Replaces one character of kek.json's encryptedKeyset with another base64 character. */
  private static Tamper flipKekBase64(double where) {
    return (dir, other) -> {
      Path kek = dir.resolve("kek.json");
      String text = Files.readString(kek);
      int start = text.indexOf("\"encryptedKeyset\":\"") + "\"encryptedKeyset\":\"".length();
      int end = text.indexOf('"', start);
      // Keep off the last 4 characters: there a change may touch only unused padding bits.
      int pos = start + (int) ((end - 4 - start) * where);
      char c = text.charAt(pos);
      char replacement = c == 'A' ? 'B' : 'A';
      Files.writeString(kek, text.substring(0, pos) + replacement + text.substring(pos + 1));
    };
  }

  static Stream<Arguments> tamperedKeyFiles() {
    return Stream.of(
        Arguments.of("kek.json: base64 char at the start", flipKekBase64(0.0)),
        Arguments.of("kek.json: base64 char at 1/3", flipKekBase64(0.33)),
        Arguments.of("kek.json: base64 char in the middle", flipKekBase64(0.5)),
        Arguments.of("kek.json: base64 char near the end", flipKekBase64(0.99)),
        // (Inserting a non-base64 character is not a change at all: Tink's decoder skips it.)
        Arguments.of(
            "kek.json: base64 char replaced by a non-base64 char",
            (Tamper)
                (dir, other) -> {
                  Path kek = dir.resolve("kek.json");
                  Files.writeString(
                      kek,
                      Files.readString(kek).replaceFirst("(\"encryptedKeyset\":\"...).", "$1*"));
                }),
        Arguments.of(
            "kek.json: truncated keyset",
            (Tamper)
                (dir, other) -> {
                  Path kek = dir.resolve("kek.json");
                  Files.writeString(
                      kek,
                      Files.readString(kek).replaceFirst("(\"encryptedKeyset\":\"[^\"]{8})[^\"]*", "$1"));
                }),
        Arguments.of(
            "kek.json: empty", (Tamper) (dir, other) -> Files.write(dir.resolve("kek.json"), new byte[0])),
        Arguments.of(
            "kek.json: not JSON",
            (Tamper) (dir, other) -> Files.writeString(dir.resolve("kek.json"), "not json")),
        Arguments.of(
            "kek.json: empty object",
            (Tamper) (dir, other) -> Files.writeString(dir.resolve("kek.json"), "{}")),
        Arguments.of(
            "kek.json: swapped with tokenizer.json",
            (Tamper)
                (dir, other) ->
                    Files.copy(
                        dir.resolve("tokenizer.json"),
                        dir.resolve("kek.json"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING)),
        Arguments.of(
            "kek.json: from another keyring",
            (Tamper)
                (dir, other) ->
                    Files.copy(
                        other.resolve("kek.json"),
                        dir.resolve("kek.json"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING)),
        Arguments.of(
            "tokenizer.json: from another keyring",
            (Tamper)
                (dir, other) ->
                    Files.copy(
                        other.resolve("tokenizer.json"),
                        dir.resolve("tokenizer.json"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING)),
        Arguments.of(
            "master key: replaced by another keyring's",
            (Tamper)
                (dir, other) ->
                    Files.copy(
                        MasterKey.file(other, false),
                        MasterKey.file(dir, false),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING)),
        Arguments.of(
            "master key: not JSON",
            (Tamper) (dir, other) -> Files.writeString(MasterKey.file(dir, false), "garbage")),
        Arguments.of(
            "ca.key.enc: one byte flipped",
            (Tamper)
                (dir, other) -> {
                  Path f = dir.resolve("ca.key.enc");
                  byte[] b = Files.readAllBytes(f);
                  Files.write(f, CryptoFixtures.flip(b, b.length / 2));
                }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tamperedKeyFiles")
  void openRefusesTamperedKeyFiles(String what, Tamper tamper, @TempDir Path tmp)
      throws Exception {
    Path dir = tmp.resolve("keys");
    Path other = tmp.resolve("other");
    Keyring.initialise(dir);
    Keyring.initialise(other);
    tamper.apply(dir, other);

    assertThatThrownBy(() -> Keyring.open(dir)).isInstanceOf(VerificationException.class);
    assertThatThrownBy(() -> Keyring.initialise(dir)).isInstanceOf(VerificationException.class);
  }

  @Test
  void aTamperedIdentityKeyIsRefusedWhenItsSignerIsLoaded(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("keys");
    Keyring.initialise(dir);
    Path f = dir.resolve("identities/gate.key.enc");
    Files.write(f, CryptoFixtures.flip(Files.readAllBytes(f), 10));

    Keyring opened = Keyring.open(dir);

    assertThatThrownBy(() -> opened.signer("gate")).isInstanceOf(VerificationException.class);
    assertThat(opened.signer("trainer").identity().name()).isEqualTo("trainer");
  }

  @Test
  void anIdentityKeyCannotBeMovedToAnotherName(@TempDir Path tmp) throws Exception {
    // Each private key is encrypted with its name as associated data.
    Path dir = tmp.resolve("keys");
    Keyring.initialise(dir);
    Files.copy(
        dir.resolve("identities/trainer.key.enc"),
        dir.resolve("identities/gate.key.enc"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThatThrownBy(() -> Keyring.open(dir).signer("gate"))
        .isInstanceOf(VerificationException.class);
  }

  // ---- identity names ----

  static Stream<String> badNames() {
    return Stream.of(
        "",
        "Upper",
        "ALLCAPS",
        "-lead",
        ".lead",
        "_lead",
        "has space",
        "a/b",
        "../etc",
        "a\\b",
        "a:b",
        "cn=x,ou=admin",
        "x\n",
        "x\u0000",
        "\u00e9t\u00e9",
        "a".repeat(64));
  }

  @ParameterizedTest(name = "[{index}] \"{0}\"")
  @MethodSource("badNames")
  void issueClientRejectsBadNames(String name) {
    assertThatThrownBy(() -> keyring.issueClient(name, "predict"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("identity name");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badNames")
  void identityAndSignerRejectBadNames(String name) {
    assertThatThrownBy(() -> keyring.identity(name)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> keyring.signer(name)).isInstanceOf(BadInputException.class);
  }

  static Stream<String> componentNames() {
    return Keyring.COMPONENTS.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("componentNames")
  void issueClientRefusesComponentNames(String name, @TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("keys");
    Keyring k = Keyring.initialise(dir);
    Map<String, String> before = snapshot(dir);

    assertThatThrownBy(() -> k.issueClient(name, "predict"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("reserved");
    assertThat(snapshot(dir)).isEqualTo(before);
  }

  static Stream<String> goodNames() {
    return Stream.of("a", "0", "client-1", "x.y_z", "analyst.team-2", "a..b", "z".repeat(63));
  }

  @ParameterizedTest(name = "\"{0}\"")
  @MethodSource("goodNames")
  void issueClientIssuesAClientCertificate(String name) throws Exception {
    Identity id = keyring.issueClient(name, "audit");

    assertThat(id.name()).isEqualTo(name);
    assertThat(id.role()).isEqualTo("audit");
    assertThat(id.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    Trust trust = keyring.trust();
    assertThat(trust.identity(id.keyId())).contains(id);
    trust.checkIssued(id.certificate());
    byte[] data = name.getBytes(StandardCharsets.UTF_8);
    assertThat(trust.verify(id.keyId(), data, keyring.signer(name).sign(data), name)).isEqualTo(id);
  }

  @Test
  void unknownIdentityIsBadInput() {
    assertThatThrownBy(() -> keyring.identity("nobody"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("nobody");
  }

  @Test
  void keyStoreHoldsTheChain() throws Exception {
    char[] pw = "pw".toCharArray();
    var ks = keyring.keyStore("gateway", pw);

    assertThat(ks.getCertificateChain("gateway")).hasSize(2);
    assertThat(ks.getCertificateChain("gateway")[1]).isEqualTo(keyring.trust().ca());
    assertThat(ks.getKey("gateway", pw)).isNotNull();
    assertThat(keyring.trustStore().getCertificate("bastion-ca")).isEqualTo(keyring.trust().ca());
  }

  // ---- the master key lives outside BASTION_HOME ----

  @Test
  void theMasterKeyIsNeverInsideTheHome(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("home").resolve("keys");
    Keyring.initialise(dir);
    Path file = MasterKey.file(dir, false);
    assertThat(file).exists();
    assertThat(file.startsWith(tmp.resolve("home"))).isFalse();
    try (Stream<Path> all = Files.walk(tmp.resolve("home"))) {
      assertThat(all.map(p -> p.getFileName().toString())).doesNotContain("master.json");
    }
  }

  @Test
  void aHomeWithoutItsMasterKeyDecryptsNothingAndIsNotRekeyed(@TempDir Path tmp)
      throws Exception {
    Path dir = tmp.resolve("home").resolve("keys");
    Keyring.initialise(dir);
    Path file = MasterKey.file(dir, false);
    Path away = tmp.resolve("elsewhere.json");
    Files.move(file, away);

    assertThatThrownBy(() -> Keyring.open(dir))
        .isInstanceOf(dev.bastion.core.BadInputException.class)
        .hasMessageContaining("master key");
    assertThatThrownBy(() -> Keyring.initialise(dir))
        .isInstanceOf(dev.bastion.core.BadInputException.class);
    assertThat(file).doesNotExist(); // no new master key was made for the old keysets

    System.setProperty(MasterKey.PROPERTY_FILE, away.toString());
    try {
      assertThat(Keyring.open(dir).signer("gate").identity().name()).isEqualTo("gate");
    } finally {
      System.clearProperty(MasterKey.PROPERTY_FILE);
    }
  }

  @Test
  void aMasterKeyBesideTheKeysetsIsRefused(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("home").resolve("keys");
    Keyring.initialise(dir);
    Files.copy(MasterKey.file(dir, false), dir.resolve("master.json"));
    assertThatThrownBy(() -> Keyring.open(dir))
        .isInstanceOf(dev.bastion.core.BadInputException.class)
        .hasMessageContaining("beside the keysets");
    System.setProperty(MasterKey.PROPERTY_FILE, dir.resolve("m.json").toString());
    try {
      assertThatThrownBy(() -> MasterKey.file(dir, false))
          .isInstanceOf(dev.bastion.core.BadInputException.class)
          .hasMessageContaining("inside BASTION_HOME");
    } finally {
      System.clearProperty(MasterKey.PROPERTY_FILE);
    }
  }
}
