package dev.bastion.pipeline;

import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.crypto.Keyring;
import dev.bastion.crypto.MasterKey;
import dev.bastion.crypto.Trust;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.Ledger;
import dev.bastion.policy.GateEngine;
import dev.bastion.policy.GatePolicies;
import dev.bastion.registry.ArtifactStore;
import dev.bastion.registry.ChainVerifier;
import dev.bastion.registry.ModelRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An opened {@code BASTION_HOME}: keys, the ledger, the encrypted store, the registry and the gate
 * policies. Everything a command needs, opened once and closed together.
 *
 * <pre>
 * keys/               Tink keysets (encrypted), the local CA, identities
 * store/sha256/ab/..  encrypted artifacts by digest
 * ledger/             entries.jsonl and the signed head.json
 * policies/gates.json the gate policies (CEL)
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
    Files.createDirectories(dir);
    checkMasterKeyOutside(dir, true);
    Keyring keyring = Keyring.initialise(dir.resolve("keys"));
    List<String> created = new ArrayList<>(keyring.created());
    Path policies = policiesFile(dir);
    boolean newPolicies = !Files.exists(policies);
    if (newPolicies) {
      AtomicFiles.write(policies, GatePolicies.DEFAULTS.getBytes(StandardCharsets.UTF_8));
      created.add("default gate policies (policies/gates.json)");
    }
    Home home = open(dir, keyring, created);
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
    checkMasterKeyOutside(dir, false);
    return open(dir, Keyring.open(dir.resolve("keys")), List.of());
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
    Ledger ledger = Ledger.open(dir.resolve("ledger"), keyring.signer("ledger"));
    ArtifactStore store = new ArtifactStore(dir.resolve("store"), keyring.artifactKeys(), ledger);
    ModelRegistry registry = ModelRegistry.open(dir.resolve("bastion.db"), store, ledger);
    return new Home(dir, keyring, ledger, store, registry, created);
  }

  static Path policiesFile(Path dir) {
    return dir.resolve("policies").resolve("gates.json");
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
