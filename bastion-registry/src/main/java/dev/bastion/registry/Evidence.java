package dev.bastion.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.attest.Envelope;
import dev.bastion.attest.Statement;
import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Identity;
import dev.bastion.crypto.Keyring;
import dev.bastion.crypto.Pem;
import dev.bastion.crypto.Trust;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.Ledger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Exported evidence of one model's chain, checkable on another machine without {@code
 * BASTION_HOME}.
 *
 * <pre>
 * README.txt               what this is, how to verify it, how to protect it
 * chain.json               name, version, model, registration digest, the chain, what is included
 * export.json              the export's signed index: a DSSE envelope, signed by {@code registry},
 *                          of an in-toto statement naming the model, the registration, whether
 *                          the data is included and every artifact file of the export
 * artifacts/sha256-HEX     every artifact and attestation of the chain and the signed
 *                          registration, in plain, each named by the SHA-256 of its content
 * certs/NAME.crt           the certificates of the identities that signed (PEM); never the CA
 * </pre>
 *
 * <p>Nothing in the directory is trusted by itself: {@link #verify} takes the trust root from the
 * caller, refuses certificates it did not issue, checks the signed index (so that an export cannot
 * be relabelled as one without data, or lose or gain a file), re-hashes every artifact, verifies
 * the signed registration and then every link of the chain it signs. {@code chain.json} only says
 * where to start; it must agree with the signed index and the signed registration.
 */
public final class Evidence {
  /** The index file of an export. */
  public static final String CHAIN = "chain.json";

  /** The signed index of an export. */
  public static final String INDEX = "export.json";

  /** The predicate type of the signed index. */
  public static final String INDEX_PREDICATE = "urn:bastion:predicate:evidence-export:v1";

  /** The identity that signs the index, as it signs registrations. */
  private static final String INDEX_SIGNER = "registry";

  /** The directory of identity certificates in an export. */
  public static final String CERTS = "certs";

  /** Limits on what {@link #verify} reads besides artifacts. */
  public static final int MAX_CHAIN_BYTES = 1 << 20;

  public static final int MAX_CERTS = 64;
  public static final int MAX_CERT_BYTES = 64 << 10;

  private static final String ALL = "all";
  private static final String WITHOUT_DATA = "without-data";

  private Evidence() {}

  /**
   * What an export wrote.
   *
   * @param registration the exported registration
   * @param artifacts how many artifact files
   * @param identities the identities whose certificates were written
   * @param withData whether the snapshot and the model are included
   */
  public record Exported(
      ModelRegistry.Registration registration, int artifacts, List<String> identities,
      boolean withData) {
    public Exported {
      identities = List.copyOf(identities);
    }
  }

  /**
   * Evidence that verified.
   *
   * @param registration the registration, as signed by {@code registry}
   * @param verified the chain's links; {@code verified.notChecked()} names the contents that were
   *     not exported and so not checked
   */
  public record Checked(ModelRegistry.Registration registration, ChainVerifier.Verified verified) {}

  /**
   * Verifies the chain of the registered model {@code ref} and writes its evidence to {@code dir}.
   * The chain is verified in full (snapshot, report and model contents included) before anything
   * is written; the export appears complete or not at all.
   *
   * @param withData whether to include the snapshot and the model, in clear
   * @throws BadInputException if {@code ref} names no registered model or {@code dir} exists and
   *     is not an empty directory
   * @throws VerificationException if the chain does not verify; nothing is written then
   */
  public static Exported export(
      ModelRegistry registry,
      ArtifactStore store,
      Keyring keyring,
      Ledger ledger,
      String ref,
      Path dir,
      boolean withData,
      String actor,
      String runId)
      throws BastionException, IOException {
    checkTarget(dir);
    ModelRegistry.Registration reg = registry.resolve(ref);
    Trust trust = keyring.trust();
    Map<Digest, byte[]> read = new LinkedHashMap<>();
    ArtifactSource recording = (d, a, r) -> {
      byte[] b = store.get(d, a, r);
      read.put(d, b);
      return b;
    };
    Chain chain = ModelRegistry.verifyRegistration(recording, reg, trust, actor, runId);
    // Without the data, the data is not read either: evidence of a model whose snapshot was
    // erased can still be exported (the erasure itself is on the ledger).
    ChainVerifier.Verified v = new ChainVerifier(recording, trust).verifyAll(chain,
        withData ? ChainVerifier.Contents.ALL : ChainVerifier.Contents.WITHOUT_DATA, actor, runId);
    if (!withData) {
      read.remove(chain.data());
      read.remove(chain.model());
    }
    TreeSet<String> signers = new TreeSet<>();
    signers.add("registry");
    for (ChainVerifier.Link l : v.links()) {
      if (!l.signer().isEmpty()) {
        signers.add(l.signer());
      }
    }

    Path abs = dir.toAbsolutePath().normalize();
    Path staging = abs.resolveSibling("." + abs.getFileName() + ".export-" + UUID.randomUUID());
    try {
      for (Map.Entry<Digest, byte[]> e : read.entrySet()) {
        AtomicFiles.write(
            staging.resolve(EvidenceDirectory.ARTIFACTS).resolve(EvidenceDirectory.fileName(
                e.getKey())),
            e.getValue());
      }
      for (String name : signers) {
        Identity id = keyring.identity(name);
        AtomicFiles.write(staging.resolve(CERTS).resolve(name + ".crt"),
            Pem.encode(id.certificate()).getBytes(StandardCharsets.UTF_8));
      }
      ObjectNode o = Json.object();
      o.put("name", reg.name());
      o.put("version", reg.version());
      o.put("model", reg.model().toString());
      o.put("registration", reg.registration().toString());
      o.put("registered_at", reg.registeredAt().toString());
      o.put("contents", withData ? ALL : WITHOUT_DATA);
      o.set("chain", chain.toJson());
      AtomicFiles.write(staging.resolve(CHAIN), (Json.pretty(o) + "\n").getBytes(
          StandardCharsets.UTF_8));
      ObjectNode index = Json.object();
      index.put("name", reg.name());
      index.put("version", reg.version());
      index.put("registration", reg.registration().toString());
      index.put("contents", withData ? ALL : WITHOUT_DATA);
      index.put("exported_at", Instant.now().toString());
      ArrayNode listed = index.putArray("artifacts");
      read.keySet().stream().map(Digest::toString).sorted().forEach(listed::add);
      AtomicFiles.write(staging.resolve(INDEX),
          Statement.of(reg.name(), reg.model(), INDEX_PREDICATE, index)
              .sign(keyring.signer(INDEX_SIGNER)).toJson());
      AtomicFiles.write(staging.resolve("README.txt"),
          readme(reg, withData).getBytes(StandardCharsets.UTF_8));
      publish(staging, abs);
    } catch (IOException e) {
      // Everything above writes; what it read was read before. Named by the directory asked for,
      // not by the staging one.
      throw new BadInputException(dir + ": cannot write the evidence there ("
          + (e instanceof java.nio.file.FileSystemException f && f.getReason() != null
              ? f.getReason() : String.valueOf(e.getMessage())) + ")", e);
    } finally {
      deleteTree(staging);
    }
    ledger.append(
        Event.now(EventKind.ARTIFACT_GET, actor, "export", reg.model().toString(), "ok", runId,
            Map.of("name", reg.name(), "version", Integer.toString(reg.version()),
                "registration", reg.registration().toString(), "dir", abs.toString(),
                "with_data", Boolean.toString(withData),
                "artifacts", Integer.toString(read.size()))));
    return new Exported(reg, read.size(), new ArrayList<>(signers), withData);
  }

  /**
   * Verifies exported evidence against {@code trustRoot}, with no home, keys or ledger.
   *
   * @throws BadInputException if the directory is not an export: no directory, or no {@code
   *     chain.json} in it
   * @throws VerificationException naming the certificate, the registration or the link that does
   *     not verify, or the part of the export that is malformed (an export that was changed)
   */
  public static Checked verify(Path dir, X509Certificate trustRoot, String actor, String runId)
      throws BastionException, IOException {
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(dir + ": not a directory");
    }
    byte[] chainBytes = readLimited(dir.resolve(CHAIN), MAX_CHAIN_BYTES);
    JsonNode o;
    try {
      o = Json.parse(chainBytes, dir.resolve(CHAIN).toString());
    } catch (BadInputException e) {
      throw new VerificationException(e.getMessage(), e);
    }
    ModelRegistry.Registration reg;
    Chain listed;
    ChainVerifier.Contents contents;
    try {
      if (!o.path("version").canConvertToInt() || !o.path("version").isIntegralNumber()) {
        throw new IllegalArgumentException("'version' is missing or not a whole number");
      }
      reg = new ModelRegistry.Registration(
          text(o, "name"), o.path("version").asInt(), Digest.parse(text(o, "model")),
          Digest.parse(text(o, "registration")), Instant.parse(text(o, "registered_at")));
      listed = Chain.fromJson(o.path("chain"));
      contents = switch (text(o, "contents")) {
        case ALL -> ChainVerifier.Contents.ALL;
        case WITHOUT_DATA -> ChainVerifier.Contents.WITHOUT_DATA;
        default -> throw new IllegalArgumentException(
            "'contents' must be '" + ALL + "' or '" + WITHOUT_DATA + "'");
      };
    } catch (IllegalArgumentException | DateTimeParseException | VerificationException e) {
      // Present but malformed: the export was changed, a failed check like any other edit.
      throw new VerificationException(dir.resolve(CHAIN) + ": " + e.getMessage(), e);
    }

    Trust trust;
    try {
      trust = Trust.of(trustRoot, certificates(dir.resolve(CERTS)));
    } catch (VerificationException e) {
      throw new VerificationException("evidence " + dir.resolve(CERTS) + ": " + e.getMessage(),
          e);
    }
    contents = checkIndex(dir, reg, contents, trust);
    EvidenceDirectory source = new EvidenceDirectory(dir);
    String what = "registration of " + reg.name() + " v" + reg.version() + ": ";
    ArtifactSource registration = (d, a, r) -> {
      try {
        return source.get(d, a, r);
      } catch (VerificationException e) {
        throw new VerificationException(what + e.getMessage(), e);
      }
    };
    Chain chain = ModelRegistry.verifyRegistration(registration, reg, trust, actor, runId);
    if (!chain.equals(listed)) {
      throw new VerificationException(dir.resolve(CHAIN) + ": its chain differs from the one the"
          + " registration " + reg.registration() + " signs");
    }
    ChainVerifier.Verified v =
        new ChainVerifier(source, trust).verifyAll(chain, contents, actor, runId);
    return new Checked(reg, v);
  }

  /**
   * Checks the signed index against {@code chain.json} and the files present, and returns what it
   * says is included.
   */
  private static ChainVerifier.Contents checkIndex(
      Path dir, ModelRegistry.Registration reg, ChainVerifier.Contents claimed, Trust trust)
      throws BastionException, IOException {
    Path file = dir.resolve(INDEX);
    String what = "evidence " + file;
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new VerificationException(what + ": the export's signed index is missing");
    }
    Statement st;
    try {
      st = Statement.verify(Envelope.parse(readLimited(file, MAX_CHAIN_BYTES), file.toString()),
          trust, INDEX_SIGNER, INDEX_PREDICATE, what);
    } catch (BadInputException e) {
      throw new VerificationException(e.getMessage(), e);
    }
    JsonNode p = st.predicate();
    ChainVerifier.Contents signed = switch (p.path("contents").asText()) {
      case ALL -> ChainVerifier.Contents.ALL;
      case WITHOUT_DATA -> ChainVerifier.Contents.WITHOUT_DATA;
      default -> throw new VerificationException(what + ": 'contents' is not known");
    };
    if (!st.onlySubject().equals(reg.model())
        || !p.path("name").asText().equals(reg.name())
        || !p.path("version").isIntegralNumber()
        || p.path("version").asInt() != reg.version()
        || !p.path("registration").asText().equals(reg.registration().toString())
        || signed != claimed) {
      throw new VerificationException(dir.resolve(CHAIN) + ": differs from the export's signed"
          + " index (" + INDEX + "): model, registration or contents changed");
    }
    TreeSet<String> listed = new TreeSet<>();
    for (JsonNode a : p.path("artifacts")) {
      listed.add(a.asText());
    }
    TreeSet<String> present = new TreeSet<>();
    Path artifacts = dir.resolve(EvidenceDirectory.ARTIFACTS);
    if (Files.isDirectory(artifacts, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> s = Files.list(artifacts)) {
        s.map(f -> f.getFileName().toString())
            .map(n -> n.replaceFirst("^" + Digest.ALGORITHM + "-", Digest.ALGORITHM + ":"))
            .forEach(present::add);
      }
    }
    for (String a : listed) {
      if (!present.contains(a)) {
        throw new VerificationException(what + ": artifact " + a
            + " that the signed index lists is missing");
      }
    }
    for (String a : present) {
      if (!listed.contains(a)) {
        throw new VerificationException(what + ": " + EvidenceDirectory.ARTIFACTS + "/"
            + a.replace(':', '-') + " is not in the signed index");
      }
    }
    return signed;
  }

  private static String text(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("'" + field + "' is missing or not text");
    }
    return v.asText();
  }

  private static List<X509Certificate> certificates(Path certs)
      throws BadInputException, VerificationException, IOException {
    if (!Files.isDirectory(certs, LinkOption.NOFOLLOW_LINKS)) {
      throw new BadInputException(certs + ": missing; not an evidence export");
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(certs)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".crt")).sorted().toList();
    }
    if (files.size() > MAX_CERTS) {
      throw new BadInputException(certs + ": more than " + MAX_CERTS + " certificates");
    }
    List<X509Certificate> out = new ArrayList<>();
    for (Path p : files) {
      try {
        out.add(Pem.certificate(readLimited(p, MAX_CERT_BYTES), p.toString()));
      } catch (BadInputException e) {
        // A certificate of the export that does not parse: the export was changed, a failed
        // check like a certificate that parses and does not verify.
        throw new VerificationException(e.getMessage(), e);
      }
    }
    return out;
  }

  private static byte[] readLimited(Path p, int max) throws BadInputException, IOException {
    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      throw new BadInputException(p + ": missing or not a regular file");
    }
    if (Files.size(p) > max) {
      throw new BadInputException(p + ": larger than " + max + " bytes");
    }
    return Files.readAllBytes(p);
  }

  private static void checkTarget(Path dir) throws BadInputException, IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new BadInputException(dir + ": exists and is not a directory");
    }
    try (Stream<Path> s = Files.list(dir)) {
      if (s.findAny().isPresent()) {
        throw new BadInputException(dir + ": exists and is not empty; export into a new directory");
      }
    }
  }

  /** Moves the finished export into place: a rename, so it is there complete or not at all. */
  private static void publish(Path staging, Path dir) throws BadInputException, IOException {
    checkTarget(dir);
    Files.deleteIfExists(dir);
    try {
      Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(staging, dir);
    }
    AtomicFiles.fsyncDirectory(dir.getParent());
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  private static String readme(ModelRegistry.Registration reg, boolean withData) {
    String contents = withData
        ? """
          CONFIDENTIAL: this export contains the model and its data (the tokenised training
          snapshot, or an imported model's reference data) IN CLEAR (decrypted from the encrypted
          store). Protect it as you protect that data and the model themselves: restricted
          access, encrypted storage, deletion when the audit is done. Export with --without-data
          to leave both out.
          """
        : """
          Exported with --without-data: the data (snapshot or reference data) and the model are
          not included. Their digests are still checked in every signed link, but their contents
          cannot be checked here; the verifier says so.
          """;
    return "Bastion evidence of model " + reg.name() + " v" + reg.version() + " (" + reg.model()
        + ")\n\n" + contents + """

        Verify it, on any machine, with the deployment's CA certificate obtained separately
        (it is deliberately not in this directory):

          bastion verify-chain --evidence DIR --trust-root CA.pem

        Layout:
          chain.json            name, version, model, the signed registration's digest, the chain
          export.json           the export's index, signed by registry: the model, the
                                registration, whether the data is included, every artifact file
          artifacts/sha256-HEX  every artifact and signed attestation of the chain and the signed
                                registration, each named by the SHA-256 of its content
          certs/NAME.crt        certificates of the identities that signed (ingest, trainer, gate,
                                registry), issued by the deployment's CA
        """;
  }
}
