package dev.bastion.ledger.tlog;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import dev.bastion.core.DirectoryLock;
import dev.bastion.core.InputFiles;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A transparency log witness kept in a directory: it cosigns a log's checkpoint (c2sp.org
 * tlog-cosignature, cosignature/v1) only when the log's signature verifies and the checkpoint is
 * consistent with the latest one it cosigned for that log, and it never cosigns a smaller tree
 * after a larger one. It follows the checks of c2sp.org/tlog-witness {@code add-checkpoint}, taking
 * the request as bytes ({@link AddCheckpoint}) rather than over HTTP, so that it can run on a
 * machine with no network path to the log.
 *
 * <p>The directory holds {@code witness.key} (the Ed25519 private key, PKCS#8, owner-only), {@code
 * witness.vkey} (its cosigner verifier key, to give to verifiers), {@code logs.json} (each trusted
 * log's origin and verifier key) and {@code state/} (per log, a file written when the log is added
 * and then holding the latest cosigned checkpoint). A request is checked and its state written
 * under the directory's lock, and the state reaches the disk before the cosignature is returned, so
 * two requests can never roll a log back between them. The state is checked before it is used: a
 * state file that is missing, not a regular file, for another origin, or signed neither as this
 * witness's cosignature nor (before the first one) by its key at {@link #trust} refuses every
 * request for that log (fail closed), rather than starting it again from 0. The directory and
 * {@code state/} are owner-only; others able to write into them could put back an older state,
 * so {@link #open} refuses them then.
 *
 * <p>What a witness adds: whoever owns the log's machine can rewrite the log and every copy of its
 * checkpoints there, even re-sign them with a new key, but cannot make this witness cosign a
 * history that does not extend the one it cosigned before. A verifier that requires this witness's
 * cosignature on the checkpoint it checks against ({@code bastion audit verify --since
 * --witness-key}) so learns of a rewrite. The witness must keep its directory: a log whose state
 * is lost is refused until the state is restored.
 */
public final class Witness {
  /** The private key's file in a witness directory. */
  public static final String KEY = "witness.key";

  /** The cosigner verifier key's file in a witness directory. */
  public static final String VKEY = "witness.vkey";

  /** The trusted logs' file in a witness directory. */
  public static final String LOGS = "logs.json";

  private static final String STATE = "state";
  private static final String EVIDENCE = "evidence";
  private static final int MAX_EVIDENCE = 100;
  private static final long MAX_LOGS_BYTES = 1 << 20;
  private static final long MAX_STATE_BYTES = 2L * NoteVerifier.MAX_NOTE_BYTES;

  private final Path dir;
  private final NoteSigner signer;

  private Witness(Path dir, NoteSigner signer) {
    this.dir = dir;
    this.signer = signer;
  }

  /**
   * Makes a new witness in {@code dir} (created if missing; it must not hold a witness already)
   * with a fresh Ed25519 key named {@code name}.
   *
   * @throws BadInputException if {@code dir} already holds a witness key, or the name is not a key
   *     name
   */
  public static Witness create(Path dir, String name) throws IOException, BadInputException {
    Objects.requireNonNull(dir, "dir");
    String problem = NoteVerifier.nameProblem(name);
    if (problem != null) {
      throw new BadInputException("witness name " + NoteVerifier.quote(name) + ": " + problem);
    }
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new BadInputException(dir + ": exists and is not a directory");
    }
    Files.createDirectories(dir);
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      if (Files.exists(dir.resolve(KEY)) || Files.exists(dir.resolve(VKEY))) {
        throw new BadInputException(dir + ": already holds a witness (" + KEY + "); a new key"
            + " would disown every cosignature it made");
      }
      for (String left : List.of(LOGS, STATE, EVIDENCE)) {
        if (Files.exists(dir.resolve(left), LinkOption.NOFOLLOW_LINKS)) {
          throw new BadInputException(dir + ": holds " + left + " of an earlier witness; a new"
              + " witness starts in a new directory");
        }
      }
      makePrivate(dir);
      NoteSigner signer = NoteSigner.generate(name);
      ObjectNode logs = Json.object();
      logs.putArray("logs");
      AtomicFiles.write(dir.resolve(LOGS), (Json.pretty(logs) + "\n").getBytes(UTF_8));
      Files.createDirectories(dir.resolve(STATE));
      makePrivate(dir.resolve(STATE));
      AtomicFiles.writePrivate(dir.resolve(KEY), signer.privateKeyPkcs8());
      // Written last: a witness whose vkey is there is complete.
      AtomicFiles.write(dir.resolve(VKEY), (signer.cosignerVerifierKey() + "\n").getBytes(UTF_8));
      return new Witness(dir, signer);
    }
  }

  /**
   * Opens the witness in {@code dir}.
   *
   * @throws BadInputException if {@code dir} holds no witness, or its key files do not match
   * @throws VerificationException if its state directory is missing or not its own, or it or the
   *     witness directory may be written by others
   */
  public static Witness open(Path dir)
      throws IOException, BadInputException, VerificationException {
    Objects.requireNonNull(dir, "dir");
    if (!Files.isRegularFile(dir.resolve(VKEY)) || !Files.isRegularFile(dir.resolve(KEY))) {
      throw new BadInputException(dir + ": not a witness directory (no " + VKEY + " or " + KEY
          + "); 'bastion witness init' makes one");
    }
    NoteVerifier vkey;
    try {
      vkey = NoteVerifier.parse(
          new String(InputFiles.read(dir.resolve(VKEY), "witness verifier key", 4096), UTF_8)
              .strip());
    } catch (BadInputException e) {
      throw new BadInputException(dir.resolve(VKEY) + ": " + e.getMessage(), e);
    }
    if (!vkey.isCosigner()) {
      throw new BadInputException(dir.resolve(VKEY) + ": not a cosigner verifier key");
    }
    checkOwnerOnly(dir.resolve(KEY));
    NoteSigner signer;
    try {
      signer = NoteSigner.fromPrivateKey(vkey.name(),
          InputFiles.read(dir.resolve(KEY), "witness key", 4096));
    } catch (GeneralSecurityException e) {
      throw new BadInputException(dir.resolve(KEY) + ": not an Ed25519 private key", e);
    }
    if (!signer.cosignerVerifierKey().equals(vkey.verifierKey())) {
      throw new BadInputException(dir.resolve(VKEY) + ": not the verifier key of " + KEY);
    }
    Path state = dir.resolve(STATE);
    if (Files.isSymbolicLink(state)) {
      throw new VerificationException(state + ": a symbolic link; the witness keeps its state in"
          + " a directory of its own (put the directory itself there)");
    }
    if (!Files.isDirectory(state, LinkOption.NOFOLLOW_LINKS)) {
      throw new VerificationException(state + ": missing; a witness that lost its state must"
          + " not cosign again from 0 (restore it, or retire the witness and start a new one"
          + " under a new name)");
    }
    checkNotWritableByOthers(dir);
    checkNotWritableByOthers(state);
    return new Witness(dir, signer);
  }

  /** The verifier key of this witness's cosignatures (type {@code 0x04}). */
  public NoteVerifier cosignerVerifier() {
    return signer.cosignerVerifier();
  }

  /**
   * Trusts the log with checkpoint origin {@code origin} and verifier key {@code logKey}. A log
   * already trusted keeps its state; trusting it under another key is refused (its history could
   * not be told apart from a rewrite). A state left by a trust of the same origin that was cut off
   * before it named the log (nothing cosigned yet, signed by this witness) is taken as it is.
   *
   * @return whether the log was new
   * @throws BadInputException if the key is a cosigner key, the origin is not one line of text, or
   *     the origin is trusted already under another key
   */
  public boolean trust(String origin, NoteVerifier logKey) throws IOException, BadInputException {
    Objects.requireNonNull(logKey, "logKey");
    if (logKey.isCosigner()) {
      throw new BadInputException("log key " + logKey + ": a witness cosigner key, not a log's"
          + " checkpoint key");
    }
    checkOrigin(origin);
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      Map<String, NoteVerifier> logs = logs();
      NoteVerifier known = logs.get(origin);
      if (known != null) {
        if (known.verifierKey().equals(logKey.verifierKey())) {
          return false;
        }
        throw new BadInputException("log " + NoteVerifier.quote(origin) + ": trusted already under"
            + " the key " + known + "; a log that changed its key is a new log");
      }
      Path state = stateFile(origin);
      if (!Files.exists(state, LinkOption.NOFOLLOW_LINKS)) {
        AtomicFiles.write(state, stateJson(origin, null, signer.sign(freshText(origin))));
      } else if (!nothingCosignedYet(origin)) {
        throw new BadInputException(state + ": a state for " + NoteVerifier.quote(origin)
            + " is there already, but the log is not in " + LOGS + "; move it aside first");
      }
      // Else an earlier trust of this log was cut off between its two writes: its state says
      // nothing was cosigned and no key was trusted, so it is finished now as if new.
      logs.put(origin, logKey);
      ObjectNode o = Json.object();
      ArrayNode a = o.putArray("logs");
      for (Map.Entry<String, NoteVerifier> e : logs.entrySet()) {
        a.addObject().put("origin", e.getKey()).put("key", e.getValue().verifierKey());
      }
      AtomicFiles.write(dir.resolve(LOGS), (Json.pretty(o) + "\n").getBytes(UTF_8));
      return true;
    }
  }

  /** Whether the state of {@code origin} holds and says that nothing was cosigned yet. */
  private boolean nothingCosignedYet(String origin) throws IOException {
    try {
      return latest(origin) == null;
    } catch (VerificationException e) {
      return false;
    }
  }

  /**
   * The latest checkpoint this witness cosigned for {@code origin} (the log's note with the
   * cosignature), or null if none yet.
   *
   * @throws VerificationException if the log's state is missing, not a regular file, for another
   *     origin, or holds a checkpoint this witness did not cosign (or, before the first one, a
   *     "nothing cosigned yet" this witness did not sign)
   */
  public byte[] latest(String origin) throws IOException, VerificationException {
    Path f = stateFile(origin);
    String bad = f + ": the witness's state of " + NoteVerifier.quote(origin);
    if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
      throw new VerificationException(bad + " is " + (Files.exists(f, LinkOption.NOFOLLOW_LINKS)
          ? "not a regular file" : "missing") + "; nothing is cosigned for this log until it"
          + " is restored (or the witness retired)");
    }
    try {
      JsonNode o = Json.parse(InputFiles.read(f, "witness state", MAX_STATE_BYTES), f.toString());
      if (!origin.equals(Json.requireText(o, "origin", f.toString()))) {
        throw new VerificationException(bad + " names another origin");
      }
      JsonNode cp = o.path("checkpoint");
      if (cp.isNull()) {
        // Nothing cosigned yet: add-log's signed word for it, so that no one who cannot sign
        // as this witness can reset a log to 0.
        byte[] signed = Json.requireText(o, "fresh", f.toString()).getBytes(UTF_8);
        if (!Arrays.equals(signer.verifier().verify(signed), freshText(origin))) {
          throw new VerificationException(bad + " is signed for another log");
        }
        return null;
      }
      if (!cp.isTextual()) {
        throw new BadInputException("'checkpoint' must be a signed note or null");
      }
      byte[] note = cp.asText().getBytes(UTF_8);
      signer.cosignerVerifier().verifyCosignature(note);
      if (!Checkpoint.ofNote(note).origin().equals(origin)) {
        throw new VerificationException(bad + " holds a checkpoint of another origin");
      }
      return note;
    } catch (BadInputException | VerificationException e) {
      throw new VerificationException(e.getMessage().startsWith(bad) ? e.getMessage()
          : bad + " does not hold (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Checks a request as c2sp.org/tlog-witness {@code add-checkpoint} asks and, when every check
   * holds, records the checkpoint (durably) and returns it cosigned: the note as submitted, with
   * this witness's cosignature/v1 line at {@code timestamp} added.
   *
   * @param timestamp the cosignature's time, POSIX seconds
   * @throws Refusal naming the check that failed, with the HTTP status the protocol gives it
   * @throws VerificationException if the log's state does not hold (see {@link #latest}): nothing
   *     is cosigned for the log then
   * @throws BadInputException if the checkpoint is not a well-formed signed note whose text is a
   *     checkpoint
   */
  public byte[] addCheckpoint(AddCheckpoint request, long timestamp)
      throws IOException, BadInputException, VerificationException {
    byte[] submitted = request.checkpoint();
    NoteVerifier.Parsed parsed = NoteVerifier.parseNote(submitted);
    Checkpoint cp = Checkpoint.parse(parsed.text());
    // A checkpoint sent back with this witness's own cosignature on it is taken without it.
    byte[] note = NoteVerifier.without(parsed, signer.name(), signer.cosignerKeyId());
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      NoteVerifier logKey = logs().get(cp.origin());
      if (logKey == null) {
        throw new Refusal(Refusal.Status.UNKNOWN_LOG, -1, "log "
            + NoteVerifier.quote(cp.origin()) + " is not one this witness trusts"
            + " ('bastion witness add-log')");
      }
      try {
        logKey.verify(note);
      } catch (BadInputException | VerificationException e) {
        // (Bad input only when the note carried no signature but this witness's own.)
        throw new Refusal(Refusal.Status.NO_VALID_SIGNATURE, -1, "the checkpoint of "
            + NoteVerifier.quote(cp.origin()) + " is not signed by its key " + logKey + ": "
            + e.getMessage());
      }
      if (request.oldSize() > cp.size()) {
        throw new Refusal(Refusal.Status.BAD_REQUEST, -1, "old size " + request.oldSize()
            + " is larger than the checkpoint's " + cp.size());
      }
      byte[] latestNote = latest(cp.origin());
      Checkpoint latest = latestNote == null ? null : Checkpoint.ofNote(latestNote);
      long latestSize = latest == null ? 0 : latest.size();
      if (latest != null && latestSize == cp.size()
          && !MessageDigest.isEqual(latest.rootHash(), cp.rootHash())) {
        // Signed by the log, the same size as the cosigned tree, another root: a fork, whatever
        // the request's old size says. Kept, as proof of it.
        throw new Refusal(Refusal.Status.CONFLICT, latestSize, "the log has two different"
            + " trees of " + cp.size() + " entries: this checkpoint's root is not the one this"
            + " witness cosigned (a fork or a rewrite)" + keepEvidence(request));
      }
      if (request.oldSize() != latestSize) {
        throw new Refusal(Refusal.Status.CONFLICT, latestSize, "old size "
            + request.oldSize() + " is not the size of the latest checkpoint this witness"
            + " cosigned for " + NoteVerifier.quote(cp.origin()) + ", " + latestSize
            + "; prove from that size");
      }
      checkExtends(latest, cp, request.proof());
      byte[] cosigned = signer.cosign(note, timestamp);
      AtomicFiles.write(stateFile(cp.origin()), stateJson(cp.origin(), cosigned, null));
      return cosigned;
    }
  }

  /**
   * Refuses {@code cp} unless it extends {@code latest} (null: nothing cosigned yet) by {@code
   * proof}, as c2sp.org/tlog-witness asks.
   */
  private static void checkExtends(Checkpoint latest, Checkpoint cp, List<byte[]> proof)
      throws Refusal {
    long latestSize = latest == null ? 0 : latest.size();
    if (latestSize == 0) {
      if (!proof.isEmpty()) {
        throw new Refusal(Refusal.Status.INVALID_PROOF, -1, "a proof from the empty tree,"
            + " which needs none");
      }
      if (cp.size() == 0 && !MessageDigest.isEqual(cp.rootHash(), Rfc9162.emptyRoot())) {
        throw new Refusal(Refusal.Status.CONFLICT, 0, "a tree of 0 entries whose root is not"
            + " the empty tree's");
      }
    } else if (latestSize == cp.size()) {
      if (!proof.isEmpty()) {
        throw new Refusal(Refusal.Status.INVALID_PROOF, -1, "a proof between equal sizes,"
            + " which needs none");
      }
    } else {
      try {
        Rfc9162.verifyConsistency(latestSize, cp.size(), latest.rootHash(), cp.rootHash(),
            proof);
      } catch (VerificationException e) {
        throw new Refusal(Refusal.Status.INVALID_PROOF, -1, "the tree of " + cp.size()
            + " entries is not proven to extend the tree of " + latestSize + " entries this"
            + " witness cosigned: " + e.getMessage());
      }
    }
  }

  /** The trusted logs, by origin, in the order they were added. */
  public Map<String, NoteVerifier> logs() throws IOException, BadInputException {
    Path f = dir.resolve(LOGS);
    JsonNode o = Json.parse(InputFiles.read(f, "witness logs file", MAX_LOGS_BYTES), f.toString());
    Map<String, NoteVerifier> logs = new LinkedHashMap<>();
    if (!o.path("logs").isArray()) {
      throw new BadInputException(f + ": 'logs' must be a list");
    }
    for (JsonNode l : o.get("logs")) {
      String origin = Json.requireText(l, "origin", f.toString());
      NoteVerifier key;
      try {
        checkOrigin(origin);
        key = NoteVerifier.parse(Json.requireText(l, "key", f.toString()));
      } catch (BadInputException e) {
        throw new BadInputException(f + ": " + e.getMessage(), e);
      }
      if (key.isCosigner()) {
        throw new BadInputException(f + ": the key of " + NoteVerifier.quote(origin)
            + " is a cosigner key, not a log's");
      }
      if (logs.put(origin, key) != null) {
        throw new BadInputException(f + ": " + NoteVerifier.quote(origin) + " is listed twice");
      }
    }
    return logs;
  }

  /**
   * Keeps a request whose checkpoint the log signed but which forks from the cosigned tree under
   * {@code evidence/}, named by its SHA-256, at most {@value #MAX_EVIDENCE} of them (only the
   * log's key can make more); says where, for the refusal's message.
   */
  private String keepEvidence(AddCheckpoint request) {
    byte[] bytes = request.format();
    Path evidence = dir.resolve(EVIDENCE);
    Path f = evidence.resolve(
        HexFormat.of().formatHex(Rfc9162.sha256().digest(bytes)) + ".request");
    try {
      if (!Files.exists(evidence, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(evidence);
        makePrivate(evidence);
      }
      if (!Files.isDirectory(evidence, LinkOption.NOFOLLOW_LINKS)) {
        return "; the signed request was not kept: " + evidence + " is not a directory";
      }
      if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
        try (Stream<Path> s = Files.list(evidence)) {
          if (s.filter(p -> p.toString().endsWith(".request")).count() >= MAX_EVIDENCE) {
            return "; " + evidence + " holds " + MAX_EVIDENCE + " requests already, this one"
                + " was not kept";
          }
        }
        AtomicFiles.write(f, bytes);
      }
      return "; the signed request is kept as evidence in " + f;
    } catch (IOException e) {
      return "; the signed request could not be kept as evidence in " + evidence + " (" + e
          + ")";
    }
  }

  private static byte[] stateJson(String origin, byte[] cosigned, byte[] fresh) {
    ObjectNode o = Json.object();
    o.put("origin", origin);
    if (cosigned == null) {
      o.putNull("checkpoint");
      o.put("fresh", new String(fresh, UTF_8));
    } else {
      o.put("checkpoint", new String(cosigned, UTF_8));
    }
    return (Json.pretty(o) + "\n").getBytes(UTF_8);
  }

  /**
   * What add-log signs (with the witness's note key, never a cosignature) for a log with nothing
   * cosigned yet.
   */
  private static byte[] freshText(String origin) {
    return ("bastion-witness/v1 nothing cosigned yet\n" + origin + "\n").getBytes(UTF_8);
  }

  /** Owner-only permissions on a directory this witness made (where the file system has them). */
  private static void makePrivate(Path d) throws IOException {
    try {
      Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: its own protection applies.
    }
  }

  /** Refuses a directory that others may write into: they could put back an older state. */
  private static void checkNotWritableByOthers(Path d) throws IOException, VerificationException {
    Set<PosixFilePermission> perms = permissions(d);
    if (perms != null && (perms.contains(PosixFilePermission.GROUP_WRITE)
        || perms.contains(PosixFilePermission.OTHERS_WRITE))) {
      throw new VerificationException(d + ": others may write into the witness's directory ("
          + PosixFilePermissions.toString(perms) + "), so its state cannot be trusted; chmod"
          + " 700 it once you are sure the state is as the witness left it");
    }
  }

  /** Refuses a private key file that others may read (where the file system has such modes). */
  private static void checkOwnerOnly(Path key) throws IOException, BadInputException {
    Set<PosixFilePermission> perms = permissions(key);
    if (perms != null && perms.stream().anyMatch(p -> !p.name().startsWith("OWNER_"))) {
      throw new BadInputException(key + ": the witness's private key may be read by others ("
          + PosixFilePermissions.toString(perms) + "); chmod 600 it, or retire the key if others"
          + " did read it");
    }
  }

  /** The file's own POSIX permissions (a link's, not its target's), or null without them. */
  private static Set<PosixFilePermission> permissions(Path p) throws IOException {
    try {
      return Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException e) {
      return null;
    }
  }

  private Path stateFile(String origin) {
    byte[] h = Rfc9162.sha256().digest(origin.getBytes(UTF_8));
    return dir.resolve(STATE).resolve(HexFormat.of().formatHex(h) + ".json");
  }

  private static void checkOrigin(String origin) throws BadInputException {
    if (origin == null || origin.isEmpty()) {
      throw new BadInputException("log origin: empty");
    }
    byte[] b = (origin + "\n").getBytes(UTF_8);
    NoteVerifier.checkCharacters(b, "log origin");
    if (origin.indexOf('\n') >= 0) {
      throw new BadInputException("log origin: more than one line");
    }
  }

  /** A request the witness refuses, with the check that failed. */
  public static final class Refusal extends VerificationException {
    private static final long serialVersionUID = 1L;

    /** Each refusal of c2sp.org/tlog-witness, with its HTTP status. */
    public enum Status {
      /** 400: the old size is larger than the checkpoint's. */
      BAD_REQUEST(400),
      /** 403: the checkpoint carries no valid signature by the log's key. */
      NO_VALID_SIGNATURE(403),
      /** 404: the checkpoint's origin is not a trusted log. */
      UNKNOWN_LOG(404),
      /** 409: the old size is not the latest cosigned size, or the same size has another root. */
      CONFLICT(409),
      /** 422: the consistency proof does not verify. */
      INVALID_PROOF(422);

      private final int http;

      Status(int http) {
        this.http = http;
      }

      /** The HTTP status c2sp.org/tlog-witness answers with. */
      public int http() {
        return http;
      }
    }

    private final Status status;
    private final long latestSize;

    Refusal(Status status, long latestSize, String message) {
      super("witness refuses: " + message);
      this.status = status;
      this.latestSize = latestSize;
    }

    /** Which check failed. */
    public Status status() {
      return status;
    }

    /** For a {@link Status#CONFLICT}, the size of the latest cosigned checkpoint; else -1. */
    public long latestSize() {
      return latestSize;
    }
  }
}
