package dev.bastion.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.InputFiles;
import dev.bastion.core.Json;
import dev.bastion.core.Text;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Keyring;
import dev.bastion.crypto.MasterKey;
import dev.bastion.crypto.Trust;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.Ledger;
import dev.bastion.ledger.tlog.NoteSigner;
import dev.bastion.ledger.tlog.NoteVerifier;
import dev.bastion.policy.GateEngine;
import dev.bastion.policy.GatePolicies;
import dev.bastion.policy.GatePolicy;
import dev.bastion.registry.ArtifactStore;
import dev.bastion.registry.ChainVerifier;
import dev.bastion.registry.ModelRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * An opened {@code BASTION_HOME}: keys, the ledger, the encrypted store, the registry and the gate
 * policies. Everything a command needs, opened once and closed together.
 *
 * <pre>
 * keys/               Tink keysets (encrypted), the local CA, identities
 * store/sha256/ab/..  encrypted artifacts by digest
 * ledger/             segments of entries with signed C2SP checkpoints, the stored tree
 * policies/gates.json the gate policies (CEL)
 * policies/runners.json who may start runs
 * approvals/          the signed approved versions of the policies and pipeline definitions
 * bastion.db          the model registry (SQLite)
 * </pre>
 */
public final class Home implements AutoCloseable {
  /** The environment variable that names the state directory. */
  public static final String ENV = "BASTION_HOME";

  private final Path dir;
  private final Keyring keyring;
  private final Ledger ledger;
  private final ArtifactStore store;
  private final ModelRegistry registry;
  private final List<String> created;
  private final Integrity integrity;

  private Home(
      Path dir,
      Keyring keyring,
      Ledger ledger,
      ArtifactStore store,
      ModelRegistry registry,
      List<String> created) {
    this.dir = dir;
    this.keyring = keyring;
    this.ledger = ledger;
    this.store = store;
    this.registry = registry;
    this.created = List.copyOf(created);
    this.integrity = new Integrity(this);
    ledger.observe(integrity::observe);
  }

  /** The system property that, when set, overrides {@link #ENV} (for embedding and tests). */
  public static final String PROPERTY = "bastion.home";

  /** {@code $BASTION_HOME}, or {@code .bastion} under the working directory. */
  public static Path defaultDir() {
    String env = System.getProperty(PROPERTY, System.getenv(ENV));
    return Path.of(env == null || env.isBlank() ? ".bastion" : env).toAbsolutePath().normalize();
  }

  /**
   * Creates what is missing (keys, CA, identities, default policies, ledger, registry) and opens
   * the home. Idempotent: a second call creates nothing and changes no key.
   */
  public static Home init(Path dir) throws BastionException, IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new BadInputException(dir + ": exists and is not a directory");
    }
    try {
      Files.createDirectories(dir);
    } catch (java.nio.file.FileSystemException e) {
      throw new BadInputException(dir + ": cannot create the home ("
          + (e.getReason() != null ? e.getReason() : "a file is in the way") + ")", e);
    }
    // Defaults go only where none was approved: a missing file that has an approval was
    // removed, and writing (and approving) the defaults in its place would undo a reviewed one.
    Path approvals = dir.resolve("approvals");
    for (Path f : List.of(policiesFile(dir), runnersFile(dir))) {
      String kind = f.equals(policiesFile(dir)) ? "gate-policy-gates" : "runners-runners";
      if (!Files.exists(f) && Files.exists(approvals.resolve(kind + ".json"))) {
        throw new BadInputException(f + ": missing from this home; restore it, or write it anew"
            + " and approve it with 'bastion approve --policies' (init writes defaults only"
            + " where none was approved)");
      }
    }
    requireRegistry(dir);
    requireLedger(dir);
    checkMasterKeyOutside(dir, true);
    Keyring keyring = Keyring.initialise(dir.resolve("keys"));
    List<String> created = new ArrayList<>(keyring.created());
    Path policies = policiesFile(dir);
    boolean newPolicies = !Files.exists(policies);
    if (newPolicies) {
      AtomicFiles.write(policies, GatePolicies.DEFAULTS.getBytes(StandardCharsets.UTF_8));
      created.add("default gate policies (policies/gates.json)");
    }
    Path runners = runnersFile(dir);
    boolean newRunners = !Files.exists(runners);
    if (newRunners) {
      AtomicFiles.write(runners, ("{\"runners\":[" + Json.mapper().writeValueAsString(
          Integrity.currentUser()) + "]}\n").getBytes(StandardCharsets.UTF_8));
      created.add("allowed runners: " + Integrity.currentUser() + " (policies/runners.json)");
    }
    Home home = open(dir, keyring, created);
    if (newPolicies) {
      home.integrity.approve(policies, "gate-policy", "gates", "init");
    }
    if (newRunners) {
      home.integrity.approve(runners, "runners", "runners", "init");
    }
    for (String c : keyring.created()) {
      home.ledger.append(
          Event.now(EventKind.KEY_OPERATION, "init", "create", c, "ok", "init", Map.of()));
    }
    if (newPolicies) {
      home.ledger.append(
          Event.now(EventKind.CONFIG_CHANGE, "init", "write-policies",
              Digest.of(Files.readAllBytes(policies)).toString(), "ok", "init",
              Map.of("file", "policies/gates.json")));
    }
    return home;
  }

  /**
   * Opens an initialised home.
   *
   * @throws BadInputException if {@code bastion init} never ran there
   */
  public static Home open(Path dir) throws BastionException, IOException {
    if (!Files.isDirectory(dir.resolve("keys"))) {
      throw new BadInputException(dir + ": not a Bastion home; run 'bastion init' first");
    }
    requireRegistry(dir);
    requireLedger(dir);
    checkMasterKeyOutside(dir, false);
    return open(dir, Keyring.open(dir.resolve("keys")), List.of());
  }

  /**
   * Refuses a home with keys but no registry database: it was removed, and a new empty one would
   * say that nothing was ever registered.
   */
  private static void requireRegistry(Path dir) throws VerificationException {
    Path db = dir.resolve("bastion.db");
    if (Files.exists(dir.resolve("keys").resolve("kek.json")) && !Files.exists(db)) {
      throw new VerificationException(db + ": missing from this home; the registry was removed"
          + " (restore it from a backup); init creates it only in a new home");
    }
  }

  /**
   * Refuses a home with keys but no ledger segments: the ledger was removed, and a new empty one
   * would hide what the old one recorded (approvals above all, which a run checks against it).
   */
  private static void requireLedger(Path dir) throws BastionException, IOException {
    if (!Files.exists(dir.resolve("keys").resolve("kek.json"))) {
      return; // a new home: init makes the ledger
    }
    Path segments = dir.resolve("ledger").resolve("segments");
    boolean any = false;
    if (Files.isDirectory(segments)) {
      try (Stream<Path> s = Files.list(segments)) {
        any = s.anyMatch(p -> p.getFileName().toString().endsWith(".jsonl"));
      }
    }
    if (!any) {
      throw new VerificationException(segments + ": no ledger segments in this home; the ledger"
          + " was removed (restore it from a backup); init creates one only in a new home");
    }
  }

  /** A master key file configured inside the home would sit beside what it protects. */
  private static void checkMasterKeyOutside(Path dir, boolean create)
      throws BastionException, IOException {
    if (MasterKey.isLocalFile()) {
      MasterKey.requireOutside(MasterKey.file(dir.resolve("keys"), create), dir);
    }
  }

  private static Home open(Path dir, Keyring keyring, List<String> created)
      throws BastionException, IOException {
    Ledger ledger = Ledger.open(dir.resolve("ledger"), checkpointSigner(dir, keyring),
        checkpointExportDir());
    ArtifactStore store = new ArtifactStore(dir.resolve("store"), keyring.artifactKeys(), ledger);
    ModelRegistry registry = ModelRegistry.open(dir.resolve("bastion.db"), store, ledger);
    return new Home(dir, keyring, ledger, store, registry, created);
  }

  /** The name of the ledger's checkpoint key, in its verifier key and its signature lines. */
  public static final String CHECKPOINT_KEY_NAME = "bastion-ledger";

  /** Where the ledger's verifier key is published, beside the certificates. */
  public static Path verifierKeyFile(Path dir) {
    return dir.resolve("keys").resolve("ledger.vkey");
  }

  /** The environment variable naming where signed checkpoints are copied as they are signed. */
  public static final String CHECKPOINT_DIR_ENV = "BASTION_CHECKPOINT_DIR";

  /** The system property that, when set, overrides {@link #CHECKPOINT_DIR_ENV}. */
  public static final String CHECKPOINT_DIR_PROPERTY = "bastion.checkpoint-dir";

  /** Where signed checkpoints are exported, if configured. */
  public static Optional<Path> checkpointExportDir() {
    String v = System.getProperty(CHECKPOINT_DIR_PROPERTY, System.getenv(CHECKPOINT_DIR_ENV));
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(Path.of(v));
  }

  /**
   * The ledger's checkpoint signer; its verifier key is published in {@code keys/ledger.vkey} the
   * first time, and must match it afterwards.
   */
  private static NoteSigner checkpointSigner(Path dir, Keyring keyring)
      throws BastionException, IOException {
    NoteSigner signer;
    try {
      signer = NoteSigner.fromPrivateKey(CHECKPOINT_KEY_NAME, keyring.checkpointKey());
    } catch (GeneralSecurityException e) {
      throw new VerificationException("keys: the ledger checkpoint key is not an Ed25519 key", e);
    }
    Path vkey = verifierKeyFile(dir);
    String expected = signer.verifierKey() + "\n";
    if (!Files.exists(vkey)) {
      AtomicFiles.write(vkey, expected.getBytes(StandardCharsets.UTF_8));
    } else if (!Files.readString(vkey, StandardCharsets.UTF_8).equals(expected)) {
      throw new VerificationException(vkey + ": not the verifier key of the ledger's checkpoint"
          + " key; it was replaced");
    }
    return signer;
  }

  /** The published verifier key of the ledger in home {@code dir}: public material only. */
  public static NoteVerifier ledgerVerifier(Path dir) throws BastionException, IOException {
    Path vkey = verifierKeyFile(dir);
    if (!Files.isRegularFile(vkey)) {
      throw new BadInputException(vkey + ": missing; not a Bastion home, or run 'bastion init'");
    }
    if (Files.size(vkey) > 4096) {
      throw new BadInputException(vkey + ": larger than 4096 bytes; not a verifier key");
    }
    return NoteVerifier.parse(Files.readString(vkey, StandardCharsets.UTF_8).strip());
  }

  static Path policiesFile(Path dir) {
    return dir.resolve("policies").resolve("gates.json");
  }

  static Path runnersFile(Path dir) {
    return dir.resolve("policies").resolve("runners.json");
  }

  /** The pipeline integrity monitor of this home: approvals, runs and sessions, alerts. */
  public Integrity integrity() {
    return integrity;
  }

  /**
   * Approves the current gate policies and runners list (signed by {@code gate}); a change is a
   * configuration change and an alert on the ledger.
   */
  public void approvePolicies(String actor) throws BastionException, IOException {
    GatePolicies p = policies(); // only rules that compile
    for (GatePolicy g : p.gates().values()) {
      // A gate no run decides at would be signed and never evaluated: a misspelt "regsiter"
      // looks like a rule and holds nothing. Suspect rows are screened at 'train' only.
      if (!RUN_GATES.contains(g.name())) {
        throw new BadInputException(policiesFile(dir) + ": gate '" + Text.clip(g.name())
            + "' is not one a run decides at (" + String.join(", ", RUN_GATES)
            + "); it would never be evaluated");
      }
      if (!g.name().equals("train") && (g.suspectRows() != GatePolicy.SuspectRows.KEEP
          || !g.suspectDetectors().isEmpty())) {
        throw new BadInputException(policiesFile(dir) + ": gate '" + g.name() + "':"
            + " suspect_rows and suspect_detectors apply to the 'train' gate only");
      }
    }
    for (String gate : RUN_GATES) {
      // A gate with no policy denies every decision: approving such a set would only stop runs.
      if (p.gate(gate).isEmpty()) {
        throw new BadInputException(policiesFile(dir) + ": no '" + gate + "' gate; a run"
            + " decides at " + String.join(", ", RUN_GATES) + ", so each needs a rule");
      }
    }
    // What a run checks of the policies beyond their rules, so that none is signed it refuses.
    Screening.check(p.gate("train").orElseThrow());
    allowedRunners(false);
    integrity.requireApprover(actor);
    integrity.approve(policiesFile(dir), "gate-policy", "gates", actor);
    integrity.approve(runnersFile(dir), "runners", "runners", actor);
  }

  /** The gates a pipeline run decides at, in order: each needs a policy. */
  public static final List<String> RUN_GATES = List.of("train", "evaluate", "register");

  /**
   * The identities allowed to start runs, from {@code policies/runners.json}; with {@code
   * requireApproved}, checked to be its approved version first.
   */
  Set<String> allowedRunners(boolean requireApproved) throws BastionException, IOException {
    Path f = runnersFile(dir);
    String where = "policies/runners.json";
    if (!Files.isRegularFile(f)) {
      throw new BadInputException(f + ": missing; write {\"runners\":[\"USER\"]} and run"
          + " 'bastion approve --policies'");
    }
    byte[] bytes = InputFiles.read(f, "runners list", InputFiles.MAX_DOCUMENT_BYTES);
    JsonNode o = Json.parse(bytes, where);
    if (!o.path("runners").isArray()) {
      throw new BadInputException(where + ": 'runners' must be a list of identities");
    }
    Set<String> out = new HashSet<>();
    for (JsonNode r : o.get("runners")) {
      if (!r.isTextual() || r.asText().isBlank()) {
        throw new BadInputException(where + ": 'runners' must be a list of identities");
      }
      out.add(r.asText());
    }
    if (requireApproved) {
      integrity.requireApproved(Digest.of(bytes), "runners", "runners", where,
          Integrity.currentUser(), "run-start");
    }
    return out;
  }

  /** The gate policies, checked to be their approved version first (an alert if not). */
  GatePolicies approvedPolicies(String actor) throws BastionException, IOException {
    byte[] bytes = InputFiles.read(policiesFile(dir), "gate policies",
        InputFiles.MAX_DOCUMENT_BYTES);
    integrity.requireApproved(Digest.of(bytes), "gate-policy", "gates", "policies/gates.json",
        actor, "run-start");
    // The very bytes checked, not the file read again.
    GatePolicies p = GatePolicies.parse(bytes, policiesFile(dir).toString());
    new GateEngine().check(p);
    return p;
  }

  public Path dir() {
    return dir;
  }

  public Keyring keyring() {
    return keyring;
  }

  public Ledger ledger() {
    return ledger;
  }

  public ArtifactStore store() {
    return store;
  }

  public ModelRegistry registry() {
    return registry;
  }

  /** What {@link #init} created. */
  public List<String> created() {
    return created;
  }

  public Trust trust() throws BastionException, IOException {
    return keyring.trust();
  }

  public ChainVerifier chainVerifier() throws BastionException, IOException {
    return new ChainVerifier(store, trust());
  }

  /**
   * The gate policies, each rule compiled to catch mistakes before a run starts.
   *
   * @throws BadInputException if the file is malformed or a rule does not compile
   */
  public GatePolicies policies() throws BastionException, IOException {
    GatePolicies p = GatePolicies.load(policiesFile(dir));
    new GateEngine().check(p);
    return p;
  }

  @Override
  public void close() throws IOException {
    try {
      registry.close();
    } finally {
      ledger.close();
    }
  }
}
