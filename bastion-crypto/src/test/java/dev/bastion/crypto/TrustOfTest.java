package dev.bastion.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Trust#of}: trust from a given root and certificates that came with evidence. */
class TrustOfTest {
  private static final byte[] DATA = "evidence".getBytes(StandardCharsets.UTF_8);

  @TempDir static Path tmp;
  private static Keyring ours;
  private static Keyring theirs;

  @BeforeAll
  static void initialise() throws Exception {
    ours = Keyring.initialise(tmp.resolve("ours"));
    theirs = Keyring.initialise(tmp.resolve("theirs"));
  }

  private static X509Certificate cert(Keyring k, String name) throws Exception {
    return k.identity(name).certificate();
  }

  @Test
  void verifiesSignaturesByTheIdentitiesItWasGiven() throws Exception {
    Trust trust = Trust.of(ours.trust().ca(), List.of(cert(ours, "gate"), cert(ours, "ingest")));
    Signer gate = ours.signer("gate");

    assertThat(trust.verify(gate.identity().keyId(), DATA, gate.sign(DATA), "gate").name())
        .isEqualTo("gate");
    Signer trainer = ours.signer("trainer");
    assertThatThrownBy(
            () -> trust.verify(trainer.identity().keyId(), DATA, trainer.sign(DATA), "trainer"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("unknown key");
  }

  @Test
  void refusesACertificateAnotherCaIssued() throws Exception {
    assertThatThrownBy(
            () -> Trust.of(ours.trust().ca(), List.of(cert(ours, "ingest"), cert(theirs, "gate"))))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("CN=gate")
        .hasMessageContaining("not issued by the trust root");
  }

  @Test
  void refusesAnotherRoot() throws Exception {
    assertThatThrownBy(() -> Trust.of(theirs.trust().ca(), List.of(cert(ours, "gate"))))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("not issued by the trust root");
  }

  @Test
  void refusesARootThatIsNotACa() throws Exception {
    assertThatThrownBy(() -> Trust.of(cert(ours, "gate"), List.of(cert(ours, "ingest"))))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("is not a CA certificate");
  }
}
