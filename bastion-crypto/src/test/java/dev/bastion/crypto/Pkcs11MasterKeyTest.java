package dev.bastion.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.bastion.core.BadInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The master key in a real PKCS#11 token: SoftHSM2 from Debian's {@code softhsm2} package, which
 * {@code .ci/run} installs. A token is made in target/softhsm for this test class.
 */
class Pkcs11MasterKeyTest {
  static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");
  static final String PIN = "1234";
  static Path config;

  @BeforeAll
  static void token() throws Exception {
    assumeTrue(Files.exists(LIBRARY), "SoftHSM2 is not installed (apt-get install softhsm2)");
    String conf = System.getenv("SOFTHSM2_CONF");
    assertThat(conf).as("surefire sets SOFTHSM2_CONF").isNotBlank();
    Path root = Path.of(conf).getParent();
    if (Files.exists(root)) {
      try (Stream<Path> s = Files.walk(root)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Path tokens = Files.createDirectories(root.resolve("tokens"));
    Files.writeString(Path.of(conf), "directories.tokendir = " + tokens + "\n"
        + "objectstore.backend = file\nlog.level = ERROR\n");
    ProcessBuilder pb = new ProcessBuilder("softhsm2-util", "--init-token", "--free",
        "--label", "bastion-test", "--pin", PIN, "--so-pin", "12345678");
    pb.environment().put("SOFTHSM2_CONF", conf);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    config = root.resolve("pkcs11.cfg");
    Files.writeString(config, "name = BastionTest\nlibrary = " + LIBRARY + "\nslotListIndex = 0\n"
        + "attributes(generate, CKO_SECRET_KEY, CKK_AES) = {\n"
        + "  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n}\n");
  }

  private static int labels;

  private static void use(String pin) {
    System.setProperty("bastion.pkcs11.config", config.toString());
    System.setProperty("bastion.pkcs11.pin", pin);
    System.setProperty("bastion.pkcs11.key", "bastion-master-test-" + labels++);
  }

  @AfterEach
  void clear() {
    System.clearProperty("bastion.pkcs11.config");
    System.clearProperty("bastion.pkcs11.pin");
    System.clearProperty("bastion.pkcs11.key");
  }

  @Test
  void aKeyringUnderAnHsmMasterKeyWorksAndReopens(@TempDir Path tmp) throws Exception {
    use(PIN);
    Path dir = tmp.resolve("home").resolve("keys");
    Keyring k = Keyring.initialise(dir);
    assertThat(k.created()).anySatisfy(c -> assertThat(c).contains("PKCS#11"));
    byte[] ct = k.artifactAead().encrypt("secret".getBytes(StandardCharsets.UTF_8), new byte[0]);
    // No local master key is made or referred to: the token holds it.
    assertThat(dir.resolve("home.id")).doesNotExist();

    Keyring again = Keyring.open(dir);
    assertThat(new String(again.artifactAead().decrypt(ct, new byte[0]), StandardCharsets.UTF_8))
        .isEqualTo("secret");
    assertThat(again.signer("gate").identity().name()).isEqualTo("gate");
  }

  @Test
  void theTokenKeyIsNotExtractableAndWrapsWithGcm() throws Exception {
    use(PIN);
    List<String> created = new ArrayList<>();
    Pkcs11MasterKey key = Pkcs11MasterKey.open(true, created).orElseThrow();
    byte[] ad = "ad".getBytes(StandardCharsets.UTF_8);
    byte[] ct = key.encrypt(new byte[] {1, 2, 3}, ad);
    assertThat(key.decrypt(ct, ad)).containsExactly(1, 2, 3);
    ct[ct.length - 1] ^= 1;
    assertThatThrownBy(() -> key.decrypt(ct, ad))
        .isInstanceOf(java.security.GeneralSecurityException.class);
    java.security.Key raw = keyOf(key);
    assertThat(raw.getEncoded()).as("an HSM key never leaves the token").isNull();
  }

  @Test
  void aWrongPinIsOneClearError() {
    use("0000");
    assertThatThrownBy(() -> Pkcs11MasterKey.open(false, new ArrayList<>()))
        .isInstanceOf(dev.bastion.core.VerificationException.class)
        .hasMessageContaining("PKCS#11");
  }

  @Test
  void aMissingConfigurationIsBadInput() {
    System.setProperty("bastion.pkcs11.config", "/nonexistent/pkcs11.cfg");
    System.setProperty("bastion.pkcs11.pin", PIN);
    assertThatThrownBy(() -> Pkcs11MasterKey.open(false, new ArrayList<>()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no such PKCS#11 configuration file");
  }

  private static java.security.Key keyOf(Pkcs11MasterKey k) throws Exception {
    var f = Pkcs11MasterKey.class.getDeclaredField("key");
    f.setAccessible(true);
    return (java.security.Key) f.get(k);
  }
}
