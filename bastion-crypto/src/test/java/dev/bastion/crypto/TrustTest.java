package dev.bastion.crypto;

import static dev.bastion.crypto.CryptoFixtures.flip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TrustTest {
  private static final byte[] DATA =
      "{\"decision\":\"pass\",\"model\":\"sha256:00ff\"}".getBytes(StandardCharsets.UTF_8);

  @TempDir static Path tmp;
  private static Keyring ours;
  private static Keyring theirs;
  private static Trust trust;
  private static Signer gate;
  private static byte[] gateSig;

  @BeforeAll
  static void initialise() throws Exception {
    ours = Keyring.initialise(tmp.resolve("ours"));
    theirs = Keyring.initialise(tmp.resolve("theirs"));
    trust = ours.trust();
    gate = ours.signer("gate");
    gateSig = gate.sign(DATA);
  }

  @Test
  void acceptsASignatureByTheExpectedIdentity() throws Exception {
    Identity id = trust.verify(gate.identity().keyId(), DATA, gateSig, "gate");

    assertThat(id.name()).isEqualTo("gate");
    assertThat(id.role()).isEqualTo(Keyring.COMPONENT_ROLE);
    assertThat(id.keyId()).isEqualTo(Digest.of(id.certificate().getPublicKey().getEncoded()).hex());
  }

  @Test
  void signaturesAreRandomisedButAllVerify() throws Exception {
    byte[] again = gate.sign(DATA);

    assertThat(again).isNotEqualTo(gateSig);
    trust.verify(gate.identity().keyId(), DATA, again, "gate");
  }

  /** A verification attempt: key ID, data, signature, expected signer. */
  record Attempt(String keyId, byte[] data, byte[] sig, String expectedSigner) {}

  static Stream<Arguments> forgeries() throws Exception {
    String gateKey = gate.identity().keyId();
    Signer trainer = ours.signer("trainer");
    Signer foreignGate = theirs.signer("gate");
    Stream<Arguments> fixed =
        Stream.of(
            Arguments.of(
                "wrong expected signer",
                new Attempt(gateKey, DATA, gateSig, "trainer"),
                "only 'trainer' may sign"),
            Arguments.of(
                "expected signer differs in case",
                new Attempt(gateKey, DATA, gateSig, "Gate"),
                "may sign"),
            Arguments.of(
                "unknown key ID",
                new Attempt(Digest.of(new byte[1]).hex(), DATA, gateSig, "gate"),
                "unknown key"),
            Arguments.of("empty key ID", new Attempt("", DATA, gateSig, "gate"), "unknown key"),
            Arguments.of(
                "key ID in uppercase",
                new Attempt(gateKey.toUpperCase(java.util.Locale.ROOT), DATA, gateSig, "gate"),
                "unknown key"),
            Arguments.of(
                "another deployment's gate, its own key ID",
                new Attempt(
                    foreignGate.identity().keyId(), DATA, foreignGate.sign(DATA), "gate"),
                "unknown key"),
            Arguments.of(
                "another deployment's gate, our gate's key ID",
                new Attempt(gateKey, DATA, foreignGate.sign(DATA), "gate"),
                "does not verify"),
            Arguments.of(
                "trainer's signature under gate's key ID",
                new Attempt(gateKey, DATA, trainer.sign(DATA), "gate"),
                "does not verify"),
            Arguments.of(
                "trainer signed, gate expected",
                new Attempt(trainer.identity().keyId(), DATA, trainer.sign(DATA), "gate"),
                "signed by 'trainer'"),
            Arguments.of(
                "empty signature", new Attempt(gateKey, DATA, new byte[0], "gate"), "does not verify"),
            Arguments.of(
                "truncated signature",
                new Attempt(gateKey, DATA, Arrays.copyOf(gateSig, gateSig.length - 1), "gate"),
                "does not verify"),
            Arguments.of(
                "signature over other data",
                new Attempt(gateKey, DATA, gate.sign(new byte[0]), "gate"),
                "does not verify"),
            Arguments.of(
                "data with a byte appended",
                new Attempt(gateKey, Arrays.copyOf(DATA, DATA.length + 1), gateSig, "gate"),
                "does not verify"));
    Stream<Arguments> dataFlips =
        IntStream.of(CryptoFixtures.positions(11, 6, DATA.length))
            .mapToObj(
                pos ->
                    Arguments.of(
                        "data byte " + pos + " flipped",
                        new Attempt(gateKey, flip(DATA, pos), gateSig, "gate"),
                        "does not verify"));
    Stream<Arguments> sigFlips =
        IntStream.of(CryptoFixtures.positions(12, 6, gateSig.length))
            .mapToObj(
                pos ->
                    Arguments.of(
                        "signature byte " + pos + " flipped",
                        new Attempt(gateKey, DATA, flip(gateSig, pos), "gate"),
                        "does not verify"));
    return Stream.of(fixed, dataFlips, sigFlips).flatMap(s -> s);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("forgeries")
  void rejects(String what, Attempt a, String messagePart) {
    assertThatThrownBy(() -> trust.verify(a.keyId(), a.data(), a.sig(), a.expectedSigner()))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(messagePart);
  }

  @Test
  void rejectsACertificateFromAnotherCaEvenWhenPlantedInTheIdentities(@TempDir Path dir)
      throws Exception {
    // A certificate named 'gate' but issued by another deployment's CA, dropped among ours.
    Keyring victim = Keyring.initialise(dir.resolve("victim"));
    Keyring attacker = Keyring.initialise(dir.resolve("attacker"));
    Files.copy(
        dir.resolve("attacker/identities/gate.crt"),
        dir.resolve("victim/identities/intruder.crt"));
    Signer forged = attacker.signer("gate");
    Trust victimTrust = victim.trust();

    assertThat(victimTrust.identity(forged.identity().keyId())).isPresent();
    assertThatThrownBy(
            () -> victimTrust.verify(forged.identity().keyId(), DATA, forged.sign(DATA), "gate"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("is not valid");
  }

  @Test
  void checkIssuedAcceptsOwnCertificatesOnly() throws Exception {
    trust.checkIssued(ours.identity("ledger").certificate());

    assertThatThrownBy(() -> trust.checkIssued(theirs.identity("ledger").certificate()))
        .isInstanceOf(VerificationException.class);
    assertThatThrownBy(() -> trust.checkIssued(theirs.trust().ca()))
        .isInstanceOf(VerificationException.class);
  }

  @Test
  void identityLooksUpByKeyId() throws Exception {
    assertThat(trust.identity(gate.identity().keyId())).contains(gate.identity());
    assertThat(trust.identity("00")).isEmpty();
  }
}
