package dev.bastion.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.core.VerificationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Missing, misplaced and exposed key files: refused with one line, nothing replaced. */
class KeyFilesTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"kek.json", "tokenizer.json", "ca.crt", "ca.key.enc",
      "ledger-checkpoint.key.enc"})
  void aMissingKeyIsNeverReplacedInKeysThatAreSetUp(String name) throws Exception {
    Path dir = tmp.resolve("keys");
    Keyring.initialise(dir);
    Files.delete(dir.resolve(name));

    assertThatThrownBy(() -> Keyring.initialise(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(name)
        .hasMessageContaining("restore it from a backup");
    assertThat(dir.resolve(name)).doesNotExist();
    assertThatThrownBy(() -> Keyring.open(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("restore it from a backup");
  }

  @Test
  void aMasterKeyFileOpenToOthersIsRefused() throws Exception {
    Path dir = tmp.resolve("keys");
    Keyring.initialise(dir);
    Path file = MasterKey.file(dir, false);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    try {
      assertThatThrownBy(() -> Keyring.open(dir))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("open to others")
          .hasMessageContaining("chmod 600");
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      assertThat(Keyring.open(dir)).isNotNull();
    } finally {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
  }

  @Test
  void aMasterKeyFileThatIsNotAKeysetIsNamed() throws Exception {
    Path dir = tmp.resolve("keys");
    Keyring.initialise(dir);
    Path garbage = tmp.resolve("garbage.json");
    Files.writeString(garbage, "not a keyset");
    Files.setPosixFilePermissions(garbage, PosixFilePermissions.fromString("rw-------"));
    System.setProperty(MasterKey.PROPERTY_FILE, garbage.toString());
    try {
      assertThatThrownBy(() -> Keyring.open(dir))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining("garbage.json")
          .hasMessageContaining("not a Tink keyset");
    } finally {
      System.clearProperty(MasterKey.PROPERTY_FILE);
    }
  }

  @Test
  void anotherHomesMasterKeyIsNamedAsTheCause() throws Exception {
    Path dir = tmp.resolve("a").resolve("keys");
    Path other = tmp.resolve("b").resolve("keys");
    Keyring.initialise(dir);
    Keyring.initialise(other);
    Path otherKey = MasterKey.file(other, false);
    System.setProperty(MasterKey.PROPERTY_FILE, otherKey.toString());
    try {
      assertThatThrownBy(() -> Keyring.open(dir))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining("kek.json: does not open with the master key from " + otherKey);
    } finally {
      System.clearProperty(MasterKey.PROPERTY_FILE);
    }
  }

  @Test
  void aPkcs11ConfigurationTheProviderRefusesIsBadInput() throws Exception {
    Path config = tmp.resolve("bad.cfg");
    Files.writeString(config, "junk\n");
    System.setProperty("bastion.pkcs11.config", config.toString());
    System.setProperty("bastion.pkcs11.pin", "1234");
    try {
      assertThatThrownBy(() -> Keyring.initialise(tmp.resolve("keys")))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("bad.cfg: not a PKCS#11 configuration");
    } finally {
      System.clearProperty("bastion.pkcs11.config");
      System.clearProperty("bastion.pkcs11.pin");
    }
  }
}
