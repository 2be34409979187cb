package dev.bastion.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.DeterministicAead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.daead.DeterministicAeadConfig;
import com.google.crypto.tink.daead.PredefinedDeterministicAeadParameters;
import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.DirectoryLock;
import dev.bastion.core.VerificationException;
import java.time.Duration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The deployment's keys, under {@code BASTION_HOME/keys}.
 *
 * <ul>
 *   <li>the master key: the local root key-encryption key, a Tink AES-256-GCM keyset that
 *       encrypts everything else here. It is never stored in this directory: see {@link
 *       MasterKey} for where it comes from. It stands where a KMS or an HSM stands in production.
 *   <li>{@code home.id}: a random id that names this home's master key file.
 *   <li>{@code kek.json}: the key-encryption key for artifacts (Tink keyset, encrypted). Every
 *       artifact gets a fresh data key, wrapped by this one (envelope encryption).
 *   <li>{@code tokenizer.json}: AES-256-SIV for deterministic field tokenisation (encrypted).
 *   <li>{@code fields.json}: AES-256-GCM for randomised field encryption (encrypted; made on first
 *       use).
 *   <li>{@code ca.crt}, {@code ca.key.enc}: the local CA.
 *   <li>{@code identities/NAME.crt}, {@code identities/NAME.key.enc}: one EC P-256 key pair and
 *       certificate per component and client; private keys encrypted under the master key.
 *   <li>{@code ledger-checkpoint.key.enc}: the Ed25519 key that signs the ledger's checkpoints
 *       (encrypted); {@code ledger.vkey}: its public verifier key.
 * </ul>
 *
 * <p>Security guarantees: private keys and keysets are never written in clear, and the master
 * keyset that encrypts them never beside them; every file is written atomically; a file that does
 * not decrypt or parse is an error, never regenerated silently.
 */
public final class Keyring {
  /** The components that sign what they produce. */
  public static final List<String> COMPONENTS =
      List.of("ingest", "trainer", "gate", "registry", "gateway", "ledger");

  /** Role written in the certificates of components. */
  public static final String COMPONENT_ROLE = "component";

  /** The client the demo uses; it may call predict. */
  public static final String DEMO_CLIENT = "demo-client";

  private static final byte[] KEYSET_AD = "bastion:keyset".getBytes(StandardCharsets.UTF_8);

  static {
    try {
      AeadConfig.register();
      DeterministicAeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final String CHECKPOINT_KEY = "ledger-checkpoint";

  private final Path dir;
  private final Aead master;
  private final ArtifactKeys artifactKeys;
  private final DeterministicAead tokenizer;
  private final LocalCa ca;
  private final List<String> created;

  private Keyring(
      Path dir,
      Aead master,
      ArtifactKeys artifactKeys,
      DeterministicAead tokenizer,
      LocalCa ca,
      List<String> created) {
    this.dir = dir;
    this.master = master;
    this.artifactKeys = artifactKeys;
    this.tokenizer = tokenizer;
    this.ca = ca;
    this.created = List.copyOf(created);
  }

  /**
   * Creates whatever is missing under {@code dir} and opens the result. Running it again changes
   * nothing; {@link #created()} lists what this call made.
   */
  public static Keyring initialise(Path dir) throws BastionException, IOException {
    Files.createDirectories(dir.resolve("identities"));
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      return load(dir, true);
    }
  }

  /**
   * Opens an initialised key directory.
   *
   * @throws BadInputException if it was never initialised
   * @throws VerificationException if a key file does not decrypt or parse
   */
  public static Keyring open(Path dir) throws BastionException, IOException {
    if (isFresh(dir)) {
      throw new BadInputException(dir + ": no keys here; run 'bastion init' first");
    }
    return load(dir, false);
  }

  private static Keyring load(Path dir, boolean create) throws BastionException, IOException {
    List<String> created = new ArrayList<>();
    try {
      if (Files.exists(dir.resolve("master.json"))) {
        throw new BadInputException(
            dir.resolve("master.json") + ": a master key beside the keysets it protects; move it"
                + " out of BASTION_HOME and name it with " + MasterKey.ENV_FILE);
      }
      // An HSM when one is configured; otherwise the local master keyset.
      Optional<Pkcs11MasterKey> hsm = Pkcs11MasterKey.open(create && isFresh(dir), created);
      Optional<Aead> kms = KmsMasterKey.open();
      if (hsm.isPresent() && kms.isPresent()) {
        throw new BadInputException(
            "both a PKCS#11 token and a KMS key are configured as master key; choose one");
      }
      Aead master;
      String source;
      if (hsm.isPresent()) {
        master = hsm.get();
        source = "the PKCS#11 token (BASTION_PKCS11_CONFIG)";
      } else if (kms.isPresent()) {
        master = kms.get();
        source = "the KMS key (BASTION_KMS_KEY_URI)";
      } else {
        master = masterKeyset(dir, create, created)
            .getPrimitive(RegistryConfiguration.get(), Aead.class);
        source = MasterKey.inline().isPresent() ? "$" + MasterKey.ENV_KEY
            : MasterKey.file(dir, false).toString();
      }

      // Keys are made for a new key directory only: in one that already holds keys, a missing
      // one is restored from a backup, never replaced (a new KEK, tokenisation key or CA would
      // leave every artifact, token or certificate made under the old one unusable).
      boolean fresh = isFresh(dir);
      Path kekFile = dir.resolve("kek.json");
      KeysetHandle kek;
      try {
        kek = encryptedKeyset(kekFile, master, create && fresh, created, "artifact KEK",
            () -> KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM, config()));
      } catch (VerificationException e) {
        // The first keyset the master key opens: if it does not, say which master key it was.
        throw new VerificationException(kekFile + ": does not open with the master key from "
            + source + ": the master key of another home, or a changed file", e);
      }
      Aead kekAead = kek.getPrimitive(RegistryConfiguration.get(), Aead.class);
      ArtifactKeys artifactKeys = new ArtifactKeys(kekAead, kekFile, () ->
          parse(kekFile, () -> TinkJsonProtoKeysetFormat.parseEncryptedKeyset(
                  Files.readString(kekFile), master, KEYSET_AD, config()))
              .getPrimitive(RegistryConfiguration.get(), Aead.class));

      KeysetHandle tok =
          encryptedKeyset(dir.resolve("tokenizer.json"), master, create && fresh, created,
              "tokenisation key",
              () -> KeysetHandle.generateNew(PredefinedDeterministicAeadParameters.AES256_SIV, config()));
      DeterministicAead tokenizer =
          tok.getPrimitive(RegistryConfiguration.get(), DeterministicAead.class);

      LocalCa ca = loadCa(dir, master, create && fresh, created);
      ensureCheckpointKey(dir, master, create && fresh, created);
      Keyring keyring = new Keyring(dir, master, artifactKeys, tokenizer, ca, created);
      if (create) {
        for (String component : COMPONENTS) {
          LocalCa.Usage usage =
              component.equals("gateway") ? LocalCa.Usage.TLS_SERVER : LocalCa.Usage.SIGNING;
          if (keyring.ensureIdentity(component, COMPONENT_ROLE, usage)) {
            // In keys that were set up, the component's certificate and key were both lost:
            // the new one lets runs go on, but what the old one signed stays unverifiable.
            created.add("identity " + component + " (" + COMPONENT_ROLE + ")" + (fresh ? ""
                : ", made anew because it was missing: what the one before signed verifies"
                    + " again only once its certificate is restored from a backup"));
          }
        }
        if (keyring.ensureIdentity(DEMO_CLIENT, "predict", LocalCa.Usage.TLS_CLIENT)) {
          created.add("identity " + DEMO_CLIENT + " (predict)");
        }
      }
      return new Keyring(dir, master, artifactKeys, tokenizer, ca, created);
    } catch (GeneralSecurityException e) {
      throw new VerificationException("keys in " + dir + " are unusable: " + e.getMessage(), e);
    }
  }

  /**
   * The master keyset: from the environment, or from its file outside BASTION_HOME, created only
   * for a key directory that has no keysets yet (a missing master key for existing keysets is an
   * error, never a reason to make a new one).
   */
  private static KeysetHandle masterKeyset(Path dir, boolean create, List<String> created)
      throws GeneralSecurityException, IOException, BastionException {
    var inline = MasterKey.inline();
    if (inline.isPresent()) {
      try {
        return TinkJsonProtoKeysetFormat.parseKeyset(
            inline.get(), config(), InsecureSecretKeyAccess.get());
      } catch (GeneralSecurityException e) {
        throw new BadInputException("$" + MasterKey.ENV_KEY + ": not a Tink keyset in JSON");
      }
    }
    boolean fresh = isFresh(dir);
    Path file = MasterKey.file(dir, create && fresh);
    if (!Files.exists(file)) {
      if (!(create && fresh)) {
        throw new BadInputException(
            file + ": the master key of " + dir + " is not there; set " + MasterKey.ENV_FILE
                + " or " + MasterKey.ENV_KEY);
      }
      KeysetHandle h = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM, config());
      MasterKey.prepareDirectory(file);
      AtomicFiles.writePrivate(
          file,
          TinkJsonProtoKeysetFormat.serializeKeyset(h, config(), InsecureSecretKeyAccess.get())
              .getBytes(StandardCharsets.UTF_8));
      created.add("master key (" + file + ", outside BASTION_HOME)");
    }
    MasterKey.requireOwnerOnly(file);
    try {
      return TinkJsonProtoKeysetFormat.parseKeyset(
          Files.readString(file), config(), InsecureSecretKeyAccess.get());
    } catch (GeneralSecurityException | java.nio.charset.MalformedInputException e) {
      // A key file that was changed, as for the keysets it protects (a value given in the
      // environment is bad input instead).
      throw new VerificationException(
          file + ": not a Tink keyset in JSON (the master key file)", e);
    }
  }

  /** Whether no key of this directory exists yet, so a new master key may be made for it. */
  private static boolean isFresh(Path dir) {
    return Stream.of("kek.json", "tokenizer.json", "ca.key.enc", "ca.crt")
        .noneMatch(f -> Files.exists(dir.resolve(f)));
  }

  private static com.google.crypto.tink.Configuration config() throws GeneralSecurityException {
    return RegistryConfiguration.get();
  }

  private interface KeysetSupplier {
    KeysetHandle get() throws GeneralSecurityException, IOException;
  }

  private static KeysetHandle parse(Path file, KeysetSupplier parser)
      throws VerificationException, IOException {
    try {
      return parser.get();
    } catch (GeneralSecurityException e) {
      throw new VerificationException(file + ": keyset does not decrypt or parse", e);
    }
  }

  private static KeysetHandle encryptedKeyset(
      Path file,
      Aead master,
      boolean create,
      List<String> created,
      String what,
      KeysetSupplier generator)
      throws GeneralSecurityException, IOException, BastionException {
    if (!Files.exists(file)) {
      if (!create) {
        throw new BadInputException(missing(file));
      }
      KeysetHandle h = generator.get();
      AtomicFiles.writePrivate(
          file,
          TinkJsonProtoKeysetFormat.serializeEncryptedKeyset(h, master, KEYSET_AD, config())
              .getBytes(StandardCharsets.UTF_8));
      created.add(what + " (keys/" + file.getFileName() + ", encrypted)");
    }
    return parse(
        file,
        () -> TinkJsonProtoKeysetFormat.parseEncryptedKeyset(
            Files.readString(file), master, KEYSET_AD, config()));
  }

  private static LocalCa loadCa(Path dir, Aead master, boolean create, List<String> created)
      throws GeneralSecurityException, IOException, BastionException {
    Path crt = dir.resolve("ca.crt");
    Path key = dir.resolve("ca.key.enc");
    if (!Files.exists(crt) || !Files.exists(key)) {
      if (!create || Files.exists(crt) || Files.exists(key)) {
        throw new BadInputException(missing(Files.exists(crt) ? key : crt));
      }
      LocalCa fresh = LocalCa.create(UUID.randomUUID().toString().substring(0, 8));
      AtomicFiles.writePrivate(key, master.encrypt(fresh.privateKeyDer(), keyAd("ca")));
      AtomicFiles.write(crt, Pem.utf8(Pem.encode(fresh.certificate())));
      created.add("local CA (keys/ca.crt)");
    }
    X509Certificate cert = Pem.certificate(Files.readAllBytes(crt), crt.toString());
    PrivateKey pk = decryptKey(key, master, "ca");
    requireSameCa(crt, cert, pk);
    return new LocalCa(pk, cert);
  }

  /**
   * Checks that {@code cert}, the trust anchor every signature is checked against, is the CA's
   * own: self-signed, by the public half of the encrypted CA key. Whoever can write to the key
   * directory but not decrypt its keys could otherwise put another CA there, issue certificates
   * for the same names under it, and sign anything as any of them.
   */
  private static void requireSameCa(Path crt, X509Certificate cert, PrivateKey pk)
      throws VerificationException {
    String replaced = crt + ": not the certificate of this home's CA key (keys/ca.key.enc); it"
        + " was replaced: restore it from a backup of BASTION_HOME/keys";
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature s = Signature.getInstance(Signer.ALGORITHM);
      s.initSign(pk);
      s.update(challenge);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(Signer.ALGORITHM);
      v.initVerify(cert.getPublicKey());
      v.update(challenge);
      if (!v.verify(sig)) {
        throw new VerificationException(replaced);
      }
      cert.verify(cert.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new VerificationException(replaced + " (" + e.getMessage() + ")", e);
    }
  }

  /** The message for a key file missing from a key directory that holds others. */
  private static String missing(Path file) {
    return file + ": missing from keys that are already set up; restore it from a backup of"
        + " BASTION_HOME/keys ('bastion init' makes no new one here: a new key would not open"
        + " what the old one protected)";
  }

  /** The file of the ledger's checkpoint signing key. */
  private static Path checkpointKeyFile(Path dir) {
    return dir.resolve(CHECKPOINT_KEY + ".key.enc");
  }

  private static void ensureCheckpointKey(
      Path dir, Aead master, boolean create, List<String> created)
      throws GeneralSecurityException, IOException, BastionException {
    Path file = checkpointKeyFile(dir);
    if (Files.exists(file)) {
      return;
    }
    if (!create) {
      throw new BadInputException(missing(file));
    }
    KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    AtomicFiles.writePrivate(file, master.encrypt(kp.getPrivate().getEncoded(),
        keyAd(CHECKPOINT_KEY)));
    created.add("ledger checkpoint key (keys/" + file.getFileName() + ", Ed25519, encrypted)");
  }

  /**
   * The ledger's checkpoint signing key: Ed25519, PKCS#8, decrypted from {@code
   * keys/ledger-checkpoint.key.enc}. It signs C2SP checkpoints; its public half is published as a
   * verifier key beside the certificates.
   *
   * @throws VerificationException if it does not decrypt
   */
  public byte[] checkpointKey() throws BastionException, IOException {
    Path file = checkpointKeyFile(dir);
    if (!Files.exists(file)) {
      throw new BadInputException(missing(file));
    }
    try {
      return master.decrypt(Files.readAllBytes(file), keyAd(CHECKPOINT_KEY));
    } catch (GeneralSecurityException e) {
      throw new VerificationException(file + ": private key does not decrypt", e);
    }
  }

  private static byte[] keyAd(String name) {
    return ("bastion:private-key:" + name).getBytes(StandardCharsets.UTF_8);
  }

  private static PrivateKey decryptKey(Path file, Aead master, String name)
      throws IOException, BastionException {
    if (!Files.exists(file)) {
      throw new BadInputException(file + ": missing private key");
    }
    try {
      byte[] der = master.decrypt(Files.readAllBytes(file), keyAd(name));
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new VerificationException(file + ": private key does not decrypt", e);
    }
  }

  private Path certFile(String name) {
    return dir.resolve("identities").resolve(name + ".crt");
  }

  /** Serials of every certificate issued to {@code name}, one hexadecimal number a line. */
  private Path issuedFile(String name) {
    return dir.resolve("identities").resolve(name + ".issued");
  }

  /** First line of a record begun after the identity was issued (see {@link #issuedSerials}). */
  private static final String PARTIAL =
      "# begun after earlier issues; any before are on the ledger";

  /**
   * Whether certificates may have been issued to {@code name} that {@link #issuedSerials} does not
   * list: issued before this record was kept (a home from an earlier version), so only the
   * ledger's {@code identity-issue} entries name them.
   */
  public boolean issuedRecordPartial(String name) throws BadInputException, IOException {
    checkName(name);
    Path f = issuedFile(name);
    if (!Files.exists(f)) {
      return Files.exists(certFile(name));
    }
    try (var lines = Files.lines(f, StandardCharsets.US_ASCII)) {
      return lines.findFirst().map(PARTIAL::equals).orElse(false);
    }
  }

  /**
   * The serial numbers of every certificate issued to identity {@code name} here, oldest first
   * (empty for none; certificates issued before this record was kept are not in it, the current
   * one aside, which {@link #revoke} adds).
   *
   * @throws BadInputException if the name is not valid or the record is damaged
   */
  public List<java.math.BigInteger> issuedSerials(String name)
      throws BadInputException, IOException {
    checkName(name);
    Path f = issuedFile(name);
    if (!Files.exists(f)) {
      return List.of();
    }
    List<java.math.BigInteger> out = new ArrayList<>();
    int line = 0;
    for (String l : Files.readAllLines(f, StandardCharsets.US_ASCII)) {
      line++;
      if (line == 1 && l.equals(PARTIAL)) {
        continue;
      }
      if (!l.matches("[0-9a-f]{1,40}")) {
        throw new BadInputException(f + ": line " + line
            + ": not a certificate serial (hexadecimal)");
      }
      out.add(new java.math.BigInteger(l, 16));
    }
    return out;
  }

  private Path keyFile(String name) {
    return dir.resolve("identities").resolve(name + ".key.enc");
  }

  /**
   * Checks that {@code name} may be a client identity's, before anything is done to issue it.
   *
   * @throws BadInputException if it is not a valid identity name or is a component's
   */
  public static void checkClientName(String name) throws BadInputException {
    checkName(name);
    if (COMPONENTS.contains(name)) {
      throw new BadInputException("identity name '" + name + "' is reserved for a component");
    }
    if (name.equals("ca")) {
      // Its certificate would be written as ca.crt, over the CA's beside it.
      throw new BadInputException("identity name 'ca' is reserved for the CA");
    }
  }

  private static void checkName(String name) throws BadInputException {
    if (!Identity.isName(name)) {
      throw new BadInputException(
          "identity name '" + name + "': use 1-63 of a-z 0-9 . _ -, starting with a letter or digit");
    }
  }

  private boolean ensureIdentity(String name, String role, LocalCa.Usage usage)
      throws GeneralSecurityException, IOException, BastionException {
    if (Files.exists(certFile(name))) {
      if (!Files.exists(keyFile(name))) {
        // Not re-issued: what it signed before would no longer match its identity's key.
        throw new VerificationException(keyFile(name) + ": missing beside " + name
            + "'s certificate; restore keys/ from a backup");
      }
      return false;
    }
    issue(name, role, usage);
    return true;
  }

  private Identity issue(String name, String role, LocalCa.Usage usage)
      throws GeneralSecurityException, IOException, BastionException {
    return issue(name, role, usage, LocalCa.LEAF_VALIDITY);
  }

  private Identity issue(String name, String role, LocalCa.Usage usage, Duration validity)
      throws GeneralSecurityException, IOException, BastionException {
    return issue(name, role, usage, validity, List.of());
  }

  private Identity issue(String name, String role, LocalCa.Usage usage, Duration validity,
      List<String> models) throws GeneralSecurityException, IOException, BastionException {
    checkName(name);
    KeyPair kp = LocalCa.newKeyPair();
    X509Certificate cert = ca.issue(name, role, kp.getPublic(), usage, validity, models);
    // The serial is recorded first, so that every certificate ever issued to the name is revoked
    // with it (revoke), re-issued ones included; then the key, then the certificate: a
    // certificate on disk always has its key beside it.
    List<java.math.BigInteger> serials = new ArrayList<>(issuedSerials(name));
    StringBuilder history = new StringBuilder();
    if (Files.exists(issuedFile(name)) ? issuedRecordPartial(name)
        : Files.exists(certFile(name))) {
      // Issued before this record was kept: it starts with the certificate being replaced, and
      // says that earlier ones are only on the ledger.
      history.append(PARTIAL).append('\n');
      if (serials.isEmpty()) {
        serials.add(Pem.certificate(Files.readAllBytes(certFile(name)),
            certFile(name).toString()).getSerialNumber());
      }
    }
    serials.add(cert.getSerialNumber());
    for (java.math.BigInteger serial : serials) {
      history.append(serial.toString(16)).append('\n');
    }
    AtomicFiles.write(issuedFile(name), history.toString().getBytes(StandardCharsets.US_ASCII));
    AtomicFiles.writePrivate(keyFile(name), master.encrypt(kp.getPrivate().getEncoded(), keyAd(name)));
    AtomicFiles.write(certFile(name), Pem.utf8(Pem.encode(cert)));
    return Identity.of(cert);
  }

  /**
   * Issues (or re-issues) a client identity with the given role.
   *
   * @throws BadInputException if the name is not a valid identity name or is a component's
   */
  public Identity issueClient(String name, String role) throws BastionException, IOException {
    return issueClient(name, role, LocalCa.LEAF_VALIDITY);
  }

  /**
   * Issues (or re-issues) a client identity with the given role, valid for {@code validity}
   * (short-lived certificates need no revocation to end).
   *
   * @throws BadInputException if the name is not a valid identity name or is a component's, or
   *     the validity is not positive or longer than 397 days
   */
  public Identity issueClient(String name, String role, Duration validity)
      throws BastionException, IOException {
    return issueClient(name, role, validity, List.of());
  }

  /**
   * Issues (or re-issues) a client identity whose role holds only for {@code models} (every
   * model when empty), valid for {@code validity}. A re-issue revokes the name's earlier
   * certificates first (see the overload with {@code alsoIssued}).
   *
   * @throws BadInputException if a name is not valid, or the validity is out of bounds
   */
  public Identity issueClient(String name, String role, Duration validity, List<String> models)
      throws BastionException, IOException {
    return issueClient(name, role, validity, models, List.of()).identity();
  }

  /**
   * A client identity as issued, and the serials of its earlier certificates that the issue
   * revoked (none for a new name, or when all of them were revoked already).
   */
  public record Issued(Identity identity, List<java.math.BigInteger> revoked) {}

  /**
   * As {@link #issueClient(String, String, Duration, List)}; a name issued before has every
   * earlier certificate revoked first (its record, its current certificate, and {@code
   * alsoIssued}: serials the record lacks, see {@link #issuedRecordPartial}), so one name never
   * holds two roles or two model limits at once.
   */
  public Issued issueClient(String name, String role, Duration validity, List<String> models,
      java.util.Collection<java.math.BigInteger> alsoIssued)
      throws BastionException, IOException {
    for (String m : models) {
      if (!Identity.isName(m)) {
        throw new BadInputException("model name '" + m
            + "': use 1-63 of a-z 0-9 . _ -, starting with a letter or digit");
      }
    }
    if (validity.isNegative() || validity.isZero()
        || validity.compareTo(LocalCa.LEAF_VALIDITY) > 0) {
      throw new BadInputException("a client certificate is valid for more than 0 and at most "
          + LocalCa.LEAF_VALIDITY.toDays() + " days");
    }
    checkClientName(name);
    // One issue or revocation at a time: each rewrites the name's record of serials.
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      // A re-issued name's earlier certificates are revoked first: one name never holds two
      // roles or two model limits at once, and a crash in between leaves it revoked, not doubled.
      List<java.math.BigInteger> earlier = new ArrayList<>(earlierSerials(name));
      for (java.math.BigInteger serial : alsoIssued) {
        if (!earlier.contains(serial)) {
          earlier.add(serial);
        }
      }
      List<java.math.BigInteger> revoked = earlier.isEmpty() ? List.of() : revokeSerials(earlier);
      return new Issued(
          issue(name, role, LocalCa.Usage.TLS_CLIENT, validity, List.copyOf(models)), revoked);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("issuing a certificate with a fresh key cannot fail", e);
    }
  }

  /**
   * The current certificate of identity {@code name}, read from disk now (so identities issued
   * after this keyring was opened are found), or empty if there is none.
   */
  public Optional<X509Certificate> currentCertificate(String name)
      throws BastionException, IOException {
    checkName(name);
    Path crt = certFile(name);
    if (!Files.exists(crt)) {
      return Optional.empty();
    }
    return Optional.of(Pem.certificate(Files.readAllBytes(crt), crt.toString()));
  }

  /**
   * A bearer token for identity {@code name} with {@code role}, signed by the gateway's key (see
   * {@link BearerTokens}). The identity is issued first if it does not exist, so that revoking it
   * ({@link #revoke}) refuses its tokens too; if it exists, its role must be {@code role}.
   *
   * @throws BadInputException if the role differs from the identity's, or the lifetime is too long
   */
  public String issueToken(String name, String role, String audience, java.time.Duration lifetime)
      throws BastionException, IOException {
    return issueToken(name, role, audience, lifetime, java.time.Instant.now());
  }

  /**
   * As {@link #issueToken(String, String, String, Duration)}, issued at {@code issuedAt} (a
   * token issued in the past expires that much sooner).
   */
  public String issueToken(String name, String role, String audience, Duration lifetime,
      java.time.Instant issuedAt) throws BastionException, IOException {
    // Everything the token will say is checked before an identity is issued for it.
    checkClientName(name);
    BearerTokens.check(name, role, audience, lifetime);
    Optional<X509Certificate> cert = currentCertificate(name);
    if (cert.isPresent()) {
      String has = Identity.of(cert.get()).role();
      if (!has.equals(role)) {
        throw new BadInputException("identity '" + name + "' has role '" + has + "', not '"
            + role + "'");
      }
      if (revocations().status(cert.get()) == Revocations.Status.REVOKED) {
        throw new BadInputException("identity '" + name + "' is revoked; 'bastion identity"
            + " issue " + name + " --role " + role + " --out DIR' gives it a new certificate"
            + " first");
      }
    } else {
      issueClient(name, role);
      cert = currentCertificate(name);
    }
    X509Certificate current = cert.orElseThrow(() ->
        new IllegalStateException("identity '" + name + "' has no certificate after its issue"));
    Digest digest;
    try {
      digest = Digest.of(current.getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException("a certificate read back encodes", e);
    }
    return BearerTokens.issue(signer("gateway"), name, digest, role, audience, lifetime,
        issuedAt);
  }

  /** The CA's revocation list, {@code keys/ca.crl} (absent until the first revocation). */
  public Path crlFile() {
    return dir.resolve("ca.crl");
  }

  /** The revocations of this deployment, re-read as {@link #crlFile()} changes. */
  public Revocations revocations() {
    return new Revocations(crlFile(), ca.certificate());
  }

  /**
   * Revokes identity {@code name}: every certificate issued to it (its current one and any it
   * was issued before, see {@link #issuedSerials}), so that no older copy outlives the revocation.
   * A new CRL, signed by the CA, lists them beside every earlier revocation, with the next CRL
   * number.
   *
   * @return the revoked identity (its current certificate)
   * @throws BadInputException if there is no such identity, or it is a component's
   */
  public Identity revoke(String name) throws BastionException, IOException {
    return revoke(name, List.of());
  }

  /**
   * As {@link #revoke(String)}, also revoking {@code alsoIssued}: serials of certificates issued
   * to the name that its record does not list (see {@link #issuedRecordPartial}).
   */
  public Identity revoke(String name, java.util.Collection<java.math.BigInteger> alsoIssued)
      throws BastionException, IOException {
    checkName(name);
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      return revokeLocked(name, alsoIssued);
    }
  }

  private Identity revokeLocked(String name,
      java.util.Collection<java.math.BigInteger> alsoIssued)
      throws BastionException, IOException {
    if (COMPONENTS.contains(name)) {
      throw new BadInputException("identity '" + name + "' is a component; it is not revoked"
          + " this way");
    }
    Path crt = certFile(name);
    if (!Files.exists(crt)) {
      throw new BadInputException("no identity '" + name + "' (" + crt + ")");
    }
    X509Certificate cert = Pem.certificate(Files.readAllBytes(crt), crt.toString());
    List<java.math.BigInteger> serials = new ArrayList<>(issuedSerials(name));
    serials.addAll(alsoIssued);
    serials.add(cert.getSerialNumber());
    revokeSerials(serials);
    return Identity.of(cert);
  }

  /**
   * Serials of the certificates issued to client {@code name} so far (its record, and its
   * current certificate, which a record begun late may lack); empty for a new name.
   */
  public List<java.math.BigInteger> earlierSerials(String name)
      throws BastionException, IOException {
    List<java.math.BigInteger> serials = new ArrayList<>(issuedSerials(name));
    Optional<X509Certificate> current = currentCertificate(name);
    if (current.isPresent() && !serials.contains(current.get().getSerialNumber())) {
      serials.add(current.get().getSerialNumber());
    }
    return serials;
  }

  /**
   * Signs a new CRL listing {@code serials} beside every earlier revocation (whose dates are
   * kept), with the next CRL number. The caller holds the directory lock.
   *
   * @return those of {@code serials} that were not revoked before
   */
  private List<java.math.BigInteger> revokeSerials(
      java.util.Collection<java.math.BigInteger> serials) throws BastionException, IOException {
    Map<java.math.BigInteger, java.time.Instant> revoked = new java.util.LinkedHashMap<>();
    java.math.BigInteger number = java.math.BigInteger.ONE;
    if (Files.exists(crlFile())) {
      java.security.cert.X509CRL old = Revocations.load(crlFile(), ca.certificate());
      if (old.getRevokedCertificates() != null) {
        for (java.security.cert.X509CRLEntry e : old.getRevokedCertificates()) {
          revoked.put(e.getSerialNumber(), e.getRevocationDate().toInstant());
        }
      }
      number = Revocations.number(old).add(java.math.BigInteger.ONE).max(number);
    }
    java.time.Instant now = java.time.Instant.now();
    List<java.math.BigInteger> added = new ArrayList<>();
    for (java.math.BigInteger serial : serials) {
      if (revoked.putIfAbsent(serial, now) == null) {
        added.add(serial);
      }
    }
    try {
      AtomicFiles.write(crlFile(), ca.crl(revoked, number).getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing a CRL with the CA key cannot fail", e);
    }
    return added;
  }

  /**
   * Writes identity {@code name}'s certificate, private key (PKCS#8, in clear, owner-only) and the
   * CA certificate to {@code out} as {@code NAME.crt}, {@code NAME.key} and {@code ca.crt}: what
   * a client needs for mutual TLS ({@code curl --cert --key --cacert}).
   */
  public void exportIdentity(String name, Path out) throws BastionException, IOException {
    checkName(name);
    if (COMPONENTS.contains(name)) {
      throw new BadInputException("identity '" + name + "' is a component; its key stays here");
    }
    PrivateKey key = decryptKey(keyFile(name), master, name);
    Files.createDirectories(out);
    AtomicFiles.writePrivate(out.resolve(name + ".key"),
        Pem.utf8(Pem.encode("PRIVATE KEY", key.getEncoded())));
    AtomicFiles.write(out.resolve(name + ".crt"), Files.readAllBytes(certFile(name)));
    AtomicFiles.write(out.resolve("ca.crt"), Pem.utf8(Pem.encode(ca.certificate())));
  }

  /**
   * Starts a rotation of the artifact KEK: a new key is generated and made primary beside the old
   * ones, and the keyset is written. New artifacts are wrapped by the new key at once; existing
   * ones by the old keys until they are re-wrapped. Every keyring open on this directory, in this
   * process or another, reads the new keyset before its next wrap or unwrap.
   */
  public KekRotation beginKekRotation() throws BastionException, IOException {
    Path file = dir.resolve("kek.json");
    try {
      KeysetHandle current = parse(file, () -> TinkJsonProtoKeysetFormat.parseEncryptedKeyset(
          Files.readString(file), master, KEYSET_AD, config()));
      KeysetHandle.Builder b = KeysetHandle.newBuilder(current);
      b.addEntry(
          KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM)
              .withRandomId()
              .makePrimary());
      KeysetHandle next = b.build();
      writeKek(next);
      return new KekRotation(next, next.getPrimitive(RegistryConfiguration.get(), Aead.class));
    } catch (GeneralSecurityException e) {
      throw new VerificationException(file + ": cannot rotate: " + e.getMessage(), e);
    }
  }

  /**
   * Ends a rotation once every artifact is re-wrapped: destroys every key but the new primary.
   *
   * @return how many keys were destroyed
   */
  public int retire(KekRotation rotation) throws BastionException, IOException {
    try {
      KeysetHandle.Builder b = KeysetHandle.newBuilder(rotation.keyset());
      int removed = 0;
      for (int i = b.size() - 1; i >= 0; i--) {
        if (!b.getAt(i).isPrimary()) {
          b.deleteAt(i);
          removed++;
        }
      }
      writeKek(b.build());
      return removed;
    } catch (GeneralSecurityException e) {
      throw new VerificationException("kek.json: cannot retire the old keys: " + e.getMessage(), e);
    }
  }

  private void writeKek(KeysetHandle h) throws GeneralSecurityException, IOException {
    AtomicFiles.writePrivate(
        dir.resolve("kek.json"),
        TinkJsonProtoKeysetFormat.serializeEncryptedKeyset(h, master, KEYSET_AD, config())
            .getBytes(StandardCharsets.UTF_8));
  }

  /** What the call that opened this keyring created, for the user and the ledger. */
  public List<String> created() {
    return created;
  }

  /**
   * Envelope encryption for artifacts: each call to {@code encrypt} draws a fresh AES-256-GCM data
   * key and stores it wrapped by the artifact KEK in front of the ciphertext.
   */
  public Aead artifactAead() {
    return artifactKeys.envelope();
  }

  /** The data keys of artifacts, small (envelope) and large (streaming), under the artifact KEK. */
  public ArtifactKeys artifactKeys() {
    return artifactKeys;
  }

  /**
   * Randomised encryption of sensitive field values (AES-256-GCM, bound to the column name), under
   * {@code fields.json}, made on first use (homes made before it have none).
   */
  public FieldEncryptor fieldEncryptor() throws BastionException, IOException {
    try {
      KeysetHandle h =
          encryptedKeyset(dir.resolve("fields.json"), master, true, new ArrayList<>(),
              "field encryption key",
              () -> KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM, config()));
      return new FieldEncryptor(h.getPrimitive(RegistryConfiguration.get(), Aead.class));
    } catch (GeneralSecurityException e) {
      throw new VerificationException(
          dir.resolve("fields.json") + ": the field encryption key is unusable: " + e.getMessage(),
          e);
    }
  }

  /** Deterministic tokenisation of sensitive field values. */
  public FieldTokenizer tokenizer() {
    return new FieldTokenizer(tokenizer);
  }

  /** The certificate of the identity {@code name}. */
  public Identity identity(String name) throws BastionException, IOException {
    checkName(name);
    Path crt = certFile(name);
    if (!Files.exists(crt)) {
      throw new BadInputException("no identity named '" + name + "' in " + dir);
    }
    return Identity.of(Pem.certificate(Files.readAllBytes(crt), crt.toString()));
  }

  /** The signer of the identity {@code name}. */
  public Signer signer(String name) throws BastionException, IOException {
    Identity id = identity(name);
    return new Signer(id, decryptKey(keyFile(name), master, name));
  }

  /**
   * The CA and the identities it issued in {@code dir}, from public certificates alone: what an
   * auditor needs to verify signatures, without the master key.
   *
   * @throws BadInputException if the directory holds no CA certificate
   * @throws VerificationException if a certificate there was not issued by that CA
   */
  public static Trust publicTrust(Path dir) throws BastionException, IOException {
    Path ca = dir.resolve("ca.crt");
    if (!Files.exists(ca)) {
      throw new BadInputException(ca + ": missing; run 'bastion init' first");
    }
    List<X509Certificate> certs = new ArrayList<>();
    Path ids = dir.resolve("identities");
    if (Files.isDirectory(ids)) {
      try (Stream<Path> files = Files.list(ids)) {
        for (Path p : files.filter(f -> f.toString().endsWith(".crt")).sorted().toList()) {
          certs.add(Pem.certificate(Files.readAllBytes(p), p.toString()));
        }
      }
    }
    return Trust.of(Pem.certificate(Files.readAllBytes(ca), ca.toString()), certs);
  }

  /** The CA and every identity it issued here. */
  public Trust trust() throws BastionException, IOException {
    Map<String, Identity> byKeyId = new HashMap<>();
    try (Stream<Path> files = Files.list(dir.resolve("identities"))) {
      for (Path p : files.filter(f -> f.toString().endsWith(".crt")).sorted().toList()) {
        Identity id = Identity.of(Pem.certificate(Files.readAllBytes(p), p.toString()));
        byKeyId.put(id.keyId(), id);
      }
    }
    return new Trust(ca.certificate(), byKeyId);
  }

  /** An in-memory PKCS#12 key store holding {@code name}'s key and certificate chain. */
  public KeyStore keyStore(String name, char[] password) throws BastionException, IOException {
    Signer signer = signer(name);
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry(
          name,
          signer.privateKey(),
          password,
          new Certificate[] {signer.identity().certificate(), ca.certificate()});
      return ks;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("an in-memory PKCS#12 store always accepts an EC key", e);
    }
  }

  /** An in-memory trust store holding the CA certificate only. */
  public KeyStore trustStore() {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("bastion-ca", ca.certificate());
      return ks;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("an in-memory PKCS#12 store always accepts a certificate", e);
    }
  }
}
