package dev.bastion.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.attest.Envelope;
import dev.bastion.attest.Statement;
import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.CheckFailedException;
import dev.bastion.core.Digest;
import dev.bastion.core.InputFiles;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pipeline integrity monitoring: the pipeline watching its own use. Raises an {@code alert} event
 * on the ledger (listed by {@code bastion audit alerts}) when
 *
 * <ul>
 *   <li>a pipeline definition or the gate policies differ from their signed (approved) version,
 *       or were never approved: the run is refused;
 *   <li>the gate configuration or the allowed runners are changed (approved anew);
 *   <li>a run starts other than through {@code bastion run}, or by an identity the signed runners
 *       list does not allow: the run is refused;
 *   <li>a pipeline stage starts outside an active run;
 *   <li>the store or the registry is read or written in the name of no active run or session.
 * </ul>
 *
 * <p>An approval is an in-toto statement over the file's digest, predicate {@value
 * #APPROVAL_PREDICATE}, signed by the {@code gate} identity and kept in {@code approvals/}. The run
 * and session table lives in this process: the monitor sees the events this process appends.
 */
public final class Integrity {
  /** The predicate type of an approval. */
  public static final String APPROVAL_PREDICATE = "urn:bastion:predicate:approval:v1";

  /** The entry point a pipeline run must come through. */
  public static final String ENTRY_POINT = "bastion run";

  /** The entry point of an import run, which registers a model trained elsewhere. */
  public static final String IMPORT_ENTRY_POINT = "bastion model import";

  /** Who ran a pipeline, and how it was started. */
  public record Invocation(String actor, String entryPoint) {
    /** The current operating-system user, through {@code bastion run}. */
    public static Invocation bastionRun() {
      return new Invocation(currentUser(), ENTRY_POINT);
    }

    /** The current operating-system user, through {@code bastion model import}. */
    public static Invocation modelImport() {
      return new Invocation(currentUser(), IMPORT_ENTRY_POINT);
    }

    /** The current operating-system user, calling the library directly. */
    public static Invocation library() {
      return new Invocation(currentUser(), "library");
    }
  }

  /** The stages of a pipeline run. */
  static final Set<String> STAGES =
      Set.of("ingest", "validate", "features", "train", "evaluate", "register", "deploy");

  private final Home home;
  /** Active runs and sessions: id to what it is. */
  private final Map<String, String> active = new ConcurrentHashMap<>();

  Integrity(Home home) {
    this.home = home;
  }

  /**
   * The operating-system user running this process, as the operating system reports it: the actor
   * of command-line work. Not the {@code user.name} property, which anyone starting the JVM can set
   * ({@code -Duser.name=...}); "unknown" if the system does not say.
   */
  public static String currentUser() {
    String u = ProcessHandle.current().info().user().orElse("");
    return u.isBlank() ? "unknown" : u;
  }

  // ---- approvals ----

  private Path approvalFile(String kind, String name) {
    String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
    return home.dir().resolve("approvals").resolve(kind + "-" + safe + ".json");
  }

  /**
   * Signs {@code file} as the approved version of {@code kind} {@code name}; records a
   * configuration change, and an alert when it replaces another approved version of the gate
   * policies or the runners list.
   *
   * @return the approved digest
   */
  public Digest approve(Path file, String kind, String name, String actor)
      throws BastionException, IOException {
    if (kind.equals("pipeline")) {
      // A definition is approved with the schema it names: a run checks both.
      approveSchema(PipelineDefinition.load(file), name, actor);
    }
    return approveOne(file, kind, name, actor);
  }

  /**
   * Approves the schema {@code def} names, once the two pass what a run checks of them: nothing
   * is signed that every run would refuse.
   */
  private void approveSchema(PipelineDefinition def, String name, String actor)
      throws BastionException, IOException {
    byte[] bytes = InputFiles.read(def.schema(), "schema file", InputFiles.MAX_DOCUMENT_BYTES);
    Runner.check(def, bytes);
    approveOne(bytes, "schema", name, actor);
  }

  private Digest approveOne(Path file, String kind, String name, String actor)
      throws BastionException, IOException {
    return approveOne(InputFiles.read(file, kind, InputFiles.MAX_DOCUMENT_BYTES), kind, name,
        actor);
  }

  private Digest approveOne(byte[] bytes, String kind, String name, String actor)
      throws BastionException, IOException {
    Digest d = Digest.of(bytes);
    Digest previous = approvedDigest(kind, name);
    ObjectNode predicate = Json.object();
    predicate.put("kind", kind);
    predicate.put("name", name);
    predicate.put("approved_by", actor);
    predicate.put("approved_at", Instant.now().toString());
    if (kind.equals("runners")) {
      // Who may approve the next change: a runner of the list approved before it.
      ArrayNode runners = predicate.putArray("runners");
      for (JsonNode r : Json.parse(bytes, "policies/runners.json").path("runners")) {
        runners.add(r.asText());
      }
    }
    Envelope env = Statement.of(name, d, APPROVAL_PREDICATE, predicate)
        .sign(home.keyring().signer("gate"));
    AtomicFiles.write(approvalFile(kind, name), env.toJson());
    home.ledger().append(Event.now(EventKind.CONFIG_CHANGE, actor, "approve-" + kind,
        d.toString(), "ok", "approve",
        Map.of("name", name, "previous", previous == null ? "none" : previous.toString())));
    if (previous != null && !previous.equals(d) && !kind.equals("pipeline")
        && !kind.equals("schema")) {
      alert(kind + "-changed", actor, d.toString(), "approve",
          kind + " '" + name + "' changed: approved " + d + " replaces " + previous);
    }
    return d;
  }

  /**
   * Approves {@code file} only if {@code kind} {@code name} has no approved version yet (a first
   * run of an example); a changed file is never approved this way.
   *
   * @return whether it approved
   */
  public boolean approveIfFirst(Path file, String kind, String name, String actor)
      throws BastionException, IOException {
    if (!Files.exists(approvalFile(kind, name), LinkOption.NOFOLLOW_LINKS)) {
      refuseIfApprovedBefore(file, kind, name, actor);
      approve(file, kind, name, actor);
      return true;
    }
    // A definition approved before its schema was part of the approval: the schema's first.
    if (kind.equals("pipeline")
        && !Files.exists(approvalFile("schema", name), LinkOption.NOFOLLOW_LINKS)) {
      refuseIfApprovedBefore(file, "schema", name, actor);
      approveSchema(PipelineDefinition.load(file), name, actor);
      return true;
    }
    return false;
  }

  /**
   * Refuses, with an alert, a "first" approval of {@code kind} {@code name} that the ledger says
   * is not the first: its approval file was removed, and approving whatever the file now holds
   * would let a changed definition or schema through unreviewed.
   */
  private void refuseIfApprovedBefore(Path file, String kind, String name, String actor)
      throws BastionException, IOException {
    Optional<Event> earlier =
        latestApproval(kind, name, file.toString(), actor, file.toString(), "approve");
    if (earlier.isPresent()) {
      Path missing = home.dir().relativize(approvalFile(kind, name));
      alert(kind + "-approval-missing", actor, earlier.get().object(), "approve",
          file + ": " + missing + " is missing, but the ledger approved " + kind + " '" + name
              + "' as " + earlier.get().object() + " at " + earlier.get().time());
      throw new CheckFailedException(file + ": the approval of " + kind + " '" + name + "' ("
          + missing + ") is missing, but the ledger approved " + earlier.get().object() + " at "
          + earlier.get().time() + "; restore it, or review " + file + " and approve it with '"
          + approveCommand(kind, file.toString()) + "'");
    }
  }

  /**
   * The latest approval of {@code kind} {@code name} on the ledger, after verifying the ledger
   * whole (so that an entry changed or removed cannot make an earlier approval look like the
   * latest, or hide one).
   *
   * @throws CheckFailedException with an alert on {@code object}, if the ledger cannot be read
   */
  private Optional<Event> latestApproval(String kind, String name, String file, String actor,
      String object, String runId) throws BastionException, IOException {
    try {
      verifyLedger();
      return LedgerVerifier.lastEvent(home.ledger().directory(),
          "\"action\":\"approve-" + kind + "\"",
          e -> e.kind() == EventKind.CONFIG_CHANGE && e.action().equals("approve-" + kind)
              && name.equals(e.details().get("name")));
    } catch (VerificationException | BadInputException e) {
      alert(kind + "-approval-invalid", actor, object, runId,
          file + ": its approvals on the ledger cannot be read: " + e.getMessage());
      throw new CheckFailedException(file + ": the ledger's record of the approvals of " + kind
          + " '" + name + "' cannot be read: " + e.getMessage(), e);
    }
  }

  /** The digest approved for {@code kind} {@code name}, after checking its signature; or null. */
  private Digest approvedDigest(String kind, String name) throws BastionException, IOException {
    JsonNode st = approvalStatement(kind, name);
    if (st == null) {
      return null;
    }
    try {
      return Digest.parse(st.path("subject").path(0).path("digest").path("sha256").asText());
    } catch (IllegalArgumentException e) {
      throw new VerificationException(home.dir().relativize(approvalFile(kind, name)) + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * The identities of the approved runners list, as its approval records them; empty if none is
   * approved yet or its approval (from an earlier version) does not name them.
   *
   * @throws VerificationException if the approval does not verify
   */
  public Optional<Set<String>> approvedRunners() throws BastionException, IOException {
    JsonNode st = approvalStatement("runners", "runners");
    JsonNode list = st == null ? null : st.path("predicate").get("runners");
    if (list == null || !list.isArray()) {
      return Optional.empty();
    }
    Set<String> out = new HashSet<>();
    list.forEach(r -> out.add(r.asText()));
    return Optional.of(out);
  }

  /**
   * Refuses, with an alert, an approval of the gate policies or the runners list by {@code actor}
   * unless it is on the runners list approved before: else anyone who can sign approvals could
   * add itself and start runs. A home whose runners approval names no list (an earlier version's)
   * takes the first approval from anyone, as at {@code init}.
   *
   * @throws CheckFailedException if {@code actor} is not an approved runner
   */
  public void requireApprover(String actor) throws BastionException, IOException {
    Optional<Set<String>> runners = approvedRunners();
    if (runners.isPresent() && !runners.get().contains(actor)) {
      String message = "'" + actor + "' is not on the approved runners list, so it may not"
          + " approve the gate policies or the runners list";
      alert("approve-refused", actor, "policies", "approve", message);
      throw new CheckFailedException("approve --policies: " + message);
    }
  }

  /** The verified statement of the approval of {@code kind} {@code name}, or null if none. */
  private JsonNode approvalStatement(String kind, String name)
      throws BastionException, IOException {
    Path f = approvalFile(kind, name);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    String where = home.dir().relativize(f).toString();
    Envelope env = Envelope.parse(InputFiles.read(f, "approval", InputFiles.MAX_DOCUMENT_BYTES),
        where);
    env.verify(home.trust(), "gate");
    JsonNode st = Json.parse(env.payload(), where);
    JsonNode subject = st.path("subject").path(0);
    if (!APPROVAL_PREDICATE.equals(st.path("predicateType").asText())
        || !name.equals(subject.path("name").asText())
        || !kind.equals(st.path("predicate").path("kind").asText())) {
      throw new VerificationException(where + ": not an approval of " + kind + " '" + name + "'");
    }
    return st;
  }

  /**
   * Checks that {@code d} is the digest of the approved version of {@code kind} {@code name}; raises an
   * alert and refuses otherwise (never approved, changed since, or an approval that does not
   * verify).
   */
  public void requireApproved(Digest d, String kind, String name, String file, String actor,
      String runId) throws BastionException, IOException {
    requireApproved(d, kind, name, file, approveCommand(kind, file), actor, runId);
  }

  /**
   * As {@link #requireApproved(Digest, String, String, String, String, String)}, telling the
   * user to approve it with {@code approveWith}.
   */
  public void requireApproved(Digest d, String kind, String name, String file,
      String approveWith, String actor, String runId) throws BastionException, IOException {
    Digest approved;
    try {
      approved = approvedDigest(kind, name);
    } catch (VerificationException | BadInputException e) {
      alert(kind + "-approval-invalid", actor, d.toString(), runId,
          file + ": its approval does not verify: " + e.getMessage());
      throw new CheckFailedException(file + ": the approval of " + kind + " '" + name
          + "' does not verify: " + e.getMessage(), e);
    }
    if (approved == null) {
      alert(kind + "-unsigned", actor, d.toString(), runId,
          file + ": " + kind + " '" + name + "' was never approved");
      throw new CheckFailedException(file + ": " + kind + " '" + name + "' is not signed; review"
          + " it and approve it with '" + approveWith + "'");
    }
    if (!approved.equals(d)) {
      alert(kind + "-modified", actor, d.toString(), runId,
          file + " differs from its signed version " + approved);
      throw new CheckFailedException(file + ": differs from its signed version (signed "
          + approved + ", found " + d + "); review the change and approve it with '"
          + approveWith + "'");
    }
    // An approval and its file put back from before a later approval verify like the current
    // ones: the ledger, which records every approval, says which is the latest. It is verified
    // whole first (every entry against the signed checkpoint), so that an entry changed or
    // removed cannot make an earlier approval look like the latest.
    Optional<Event> latest = latestApproval(kind, name, file, actor, d.toString(), runId);
    if (latest.isPresent() && !latest.get().object().equals(approved.toString())) {
      alert(kind + "-approval-superseded", actor, d.toString(), runId,
          file + ": approved as " + approved + ", but the latest approval on the ledger ("
              + latest.get().time() + ") is of " + latest.get().object());
      throw new CheckFailedException(file + ": its approval (" + approved + ") is not the latest"
          + " on the ledger, which approved " + latest.get().object() + " at "
          + latest.get().time() + ": an earlier version and its approval were put back; use the"
          + " latest, or review this one and approve it again with '" + approveWith + "'");
    }
  }

  /**
   * Verifies the whole ledger, once for the checks a run makes together (its definition, schema,
   * runners and gate policies, within milliseconds): a verification costs O(entries), about 10 s
   * per million here, and four in a row would find nothing the first did not.
   */
  private void verifyLedger() throws BastionException, IOException {
    long now = System.nanoTime();
    synchronized (this) {
      if (ledgerVerifiedAt != 0 && now - ledgerVerifiedAt < LEDGER_CHECK_REUSE_NANOS) {
        return;
      }
    }
    LedgerVerifier.verify(home.ledger().directory(), Home.ledgerVerifier(home.dir()));
    synchronized (this) {
      ledgerVerifiedAt = now;
    }
  }

  /** How long a whole-ledger verification stands for the next approval check. */
  private static final long LEDGER_CHECK_REUSE_NANOS = 10_000_000_000L;

  /** When {@link #verifyLedger} last verified the ledger; 0 before it did. */
  private long ledgerVerifiedAt;

  private static String approveCommand(String kind, String file) {
    return kind.equals("pipeline") ? "bastion approve " + file : "bastion approve --policies";
  }

  // ---- runs and sessions ----

  /**
   * Starts a run for {@code inv}: refused, with an alert, unless it came through {@code
   * entryPoint} ({@value #ENTRY_POINT} for a pipeline run, {@value #IMPORT_ENTRY_POINT} for an
   * import) by an identity the approved runners list allows.
   *
   * @return the run id
   */
  String beginRun(Invocation inv, String entryPoint, Set<String> allowedRunners)
      throws CheckFailedException {
    String runId = "run-" + UUID.randomUUID();
    if (!entryPoint.equals(inv.entryPoint())) {
      alert("unexpected-run", inv.actor(), inv.entryPoint(), runId,
          "a run was started through '" + inv.entryPoint() + "', not '" + entryPoint + "'");
      throw new CheckFailedException("this run starts only through '" + entryPoint
          + "' (this one: '" + inv.entryPoint() + "'); refused and recorded");
    }
    if (!allowedRunners.contains(inv.actor())) {
      alert("unexpected-run", inv.actor(), inv.entryPoint(), runId,
          "'" + inv.actor() + "' is not an allowed runner");
      throw new CheckFailedException("'" + inv.actor() + "' may not start runs (policies/"
          + "runners.json); refused and recorded");
    }
    active.put(runId, "run");
    return runId;
  }

  void endRun(String runId) {
    active.remove(runId);
  }

  /**
   * Opens a session for work outside a pipeline run that reads or writes the store (an audit, an
   * export, a key rotation, serving): its id is the run id of that work's events.
   */
  public String openSession(String purpose) {
    String id = purpose.toLowerCase(Locale.ROOT) + "-" + UUID.randomUUID();
    active.put(id, "session");
    return id;
  }

  public void closeSession(String id) {
    active.remove(id);
  }

  /** Sees every event this process appends (but alerts) and raises what the rules say. */
  void observe(Event e) {
    if (e.kind() == EventKind.ALERT) {
      return;
    }
    String kind = active.get(e.runId());
    if (e.kind() == EventKind.STAGE_START && STAGES.contains(e.action())
        && !"run".equals(kind)) {
      alert("stage-outside-run", e.actor(), e.object(), e.runId(),
          "stage '" + e.action() + "' started outside an active pipeline run");
    } else if ((e.kind() == EventKind.ARTIFACT_PUT || e.kind() == EventKind.ARTIFACT_GET
        || e.kind() == EventKind.ARTIFACT_ERASE) && kind == null) {
      alert("access-without-run", e.actor(), e.object(), e.runId(),
          "'" + e.actor() + "' " + e.kind().wireName().replace("artifact_", "")
              + " outside any active run or session");
    }
  }

  /** Appends an alert event. */
  void alert(String rule, String actor, String object, String runId, String message) {
    home.ledger().append(Event.now(EventKind.ALERT, actor, rule, object, "raised", runId,
        Map.of("message", message)));
  }
}
