package dev.bastion.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.attest.Envelope;
import dev.bastion.attest.Statement;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.Text;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Signer;
import dev.bastion.crypto.Trust;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.Ledger;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Named model versions, in {@code BASTION_HOME/bastion.db} (SQLite).
 *
 * <p>{@link #register} verifies the model's whole chain first and refuses it when any link does not
 * verify. A registration is itself signed by the {@code registry} identity (an in-toto statement
 * naming the model, its version and its chain) and stored as an artifact; the database row only
 * points at it, so editing the database cannot make the gateway load something else.
 */
public final class ModelRegistry implements AutoCloseable {
  public static final String PREDICATE_TYPE = "urn:bastion:predicate:registration:v1";
  private static final String SIGNER = "registry";

  /**
   * A registered version.
   *
   * @param name the model's name
   * @param version 1, 2, ...
   * @param model the model's digest
   * @param registration digest of the signed registration
   * @param registeredAt when
   */
  public record Registration(
      String name, int version, Digest model, Digest registration, Instant registeredAt) {}

  private final Connection db;
  private final ArtifactStore store;
  private final Ledger ledger;

  private ModelRegistry(Connection db, ArtifactStore store, Ledger ledger) {
    this.db = db;
    this.store = store;
    this.ledger = ledger;
  }

  /** Opens (creating if needed) the registry database. */
  public static ModelRegistry open(Path dbFile, ArtifactStore store, Ledger ledger)
      throws IOException, VerificationException {
    try {
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile.toAbsolutePath());
      try (java.sql.Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=FULL");
        s.execute("PRAGMA busy_timeout=10000");
        s.execute(
            "CREATE TABLE IF NOT EXISTS models ("
                + " name TEXT NOT NULL,"
                + " version INTEGER NOT NULL,"
                + " model TEXT NOT NULL,"
                + " registration TEXT NOT NULL,"
                + " registered_at TEXT NOT NULL,"
                + " PRIMARY KEY (name, version))");
      }
      return new ModelRegistry(c, store, ledger);
    } catch (SQLException e) {
      String m = String.valueOf(e.getMessage()).replaceFirst("^\\[[A-Z_]+\\]\\s*", "");
      throw new VerificationException("cannot open the registry database " + dbFile + ": " + m,
          e);
    }
  }

  private static void checkName(String name) throws BadInputException {
    if (!dev.bastion.crypto.Identity.isName(name)) {
      throw new BadInputException(
          "model name '" + name + "': use 1-63 of a-z 0-9 . _ -, starting with a letter or digit");
    }
  }

  /**
   * Verifies {@code chain} and records it as the next version of {@code name}.
   *
   * @throws VerificationException if any link does not verify; nothing is recorded then
   */
  public Registration register(
      String name, Chain chain, ChainVerifier verifier, Signer registry, String runId)
      throws IOException, VerificationException, BadInputException {
    checkName(name);
    try {
      verifier.verify(chain, SIGNER, runId);
    } catch (VerificationException e) {
      ledger.append(
          Event.now(EventKind.STAGE_END, SIGNER, "register", chain.model().toString(), "refused",
              runId, Map.of("name", name, "reason", e.getMessage())));
      throw e;
    }
    try {
      db.setAutoCommit(false);
      int version;
      try (PreparedStatement q =
          db.prepareStatement("SELECT COALESCE(MAX(version), 0) FROM models WHERE name = ?")) {
        q.setString(1, name);
        try (ResultSet rs = q.executeQuery()) {
          version = rs.next() ? rs.getInt(1) + 1 : 1;
        }
      }
      Instant now = Instant.now();
      ObjectNode p = Json.object();
      p.put("name", name);
      p.put("version", version);
      p.set("chain", chain.toJson());
      p.put("registered_at", now.toString());
      p.put("run", runId);
      Envelope env = Statement.of(name, chain.model(), PREDICATE_TYPE, p).sign(registry);
      Digest reg = store.put(env.toJson(), "registration", SIGNER, runId);
      try (PreparedStatement ins =
          db.prepareStatement("INSERT INTO models VALUES (?, ?, ?, ?, ?)")) {
        ins.setString(1, name);
        ins.setInt(2, version);
        ins.setString(3, chain.model().toString());
        ins.setString(4, reg.toString());
        ins.setString(5, now.toString());
        ins.executeUpdate();
      }
      db.commit();
      ledger.append(
          Event.now(EventKind.STAGE_END, SIGNER, "register", chain.model().toString(), "ok", runId,
              Map.of("name", name, "version", Integer.toString(version), "registration",
                  reg.toString())));
      return new Registration(name, version, chain.model(), reg, now);
    } catch (SQLException e) {
      rollback();
      throw new IOException("cannot write the registry database: " + e.getMessage(), e);
    } finally {
      autoCommit();
    }
  }

  private void rollback() {
    try {
      db.rollback();
    } catch (SQLException e) {
      // The transaction was not committed; SQLite discards it when the connection closes.
    }
  }

  private void autoCommit() {
    try {
      db.setAutoCommit(true);
    } catch (SQLException e) {
      // Only fails on a closed connection, whose next use reports the problem.
    }
  }

  /** The newest version of {@code name}. */
  public Optional<Registration> latest(String name) throws IOException, VerificationException {
    try (PreparedStatement q =
        db.prepareStatement(
            "SELECT name, version, model, registration, registered_at FROM models"
                + " WHERE name = ? ORDER BY version DESC LIMIT 1")) {
      q.setString(1, name);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? Optional.of(row(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw damaged(e);
    }
  }

  /** A database that cannot be read as the registry: a failed check (exit 1), said in a line. */
  private static VerificationException damaged(SQLException e) {
    String m = String.valueOf(e.getMessage()).replaceFirst("^\\[[A-Z_]+\\]\\s*", "");
    return new VerificationException("the registry database (bastion.db) cannot be read: " + m,
        e);
  }

  /**
   * The registration a reference names: {@code NAME} (the newest version), {@code NAME@VERSION},
   * or a model digest {@code sha256:...} (its newest registration).
   *
   * @throws BadInputException if the reference is malformed or names nothing registered
   */
  public Registration resolve(String ref)
      throws IOException, BadInputException, VerificationException {
    if (ref.startsWith(dev.bastion.core.Digest.ALGORITHM + ":")) {
      Digest d;
      try {
        d = Digest.parse(ref);
      } catch (IllegalArgumentException e) {
        throw new BadInputException("'" + ref + "' is not a model digest");
      }
      Registration found = null;
      for (Registration r : list()) {
        if (r.model().equals(d)) {
          found = r;
        }
      }
      if (found == null) {
        throw new BadInputException("no registered model has digest " + d);
      }
      return found;
    }
    int at = ref.lastIndexOf('@');
    String name = at < 0 ? ref : ref.substring(0, at);
    checkName(name);
    if (at < 0) {
      return latest(name).orElseThrow(
          () -> new BadInputException("no registered model named '" + name + "'"));
    }
    int version;
    // "v2", as every listing spells it, or "2".
    String v = ref.substring(at + 1);
    try {
      version = Integer.parseInt(v.startsWith("v") ? v.substring(1) : v);
    } catch (NumberFormatException e) {
      throw new BadInputException("'" + Text.clip(ref) + "': the version after @ must be a"
          + " number, as in " + name + "@2 or " + name + "@v2");
    }
    for (Registration r : list()) {
      if (r.name().equals(name) && r.version() == version) {
        return r;
      }
    }
    throw new BadInputException("no version " + version + " of model '" + name + "'");
  }

  /** Every version of every model. */
  public List<Registration> list() throws IOException, VerificationException {
    List<Registration> out = new ArrayList<>();
    try (PreparedStatement q =
            db.prepareStatement(
                "SELECT name, version, model, registration, registered_at FROM models"
                    + " ORDER BY name, version");
        ResultSet rs = q.executeQuery()) {
      while (rs.next()) {
        out.add(row(rs));
      }
      return out;
    } catch (SQLException e) {
      throw damaged(e);
    }
  }

  private static Registration row(ResultSet rs) throws SQLException, VerificationException {
    String name = rs.getString(1);
    int version = rs.getInt(2);
    try {
      return new Registration(name, version, Digest.parse(rs.getString(3)),
          Digest.parse(rs.getString(4)), Instant.parse(rs.getString(5)));
    } catch (IllegalArgumentException | java.time.DateTimeException | NullPointerException e) {
      throw new VerificationException("the registry database (bastion.db): the row of "
          + name + " v" + version + " is damaged (a digest or time that does not parse)", e);
    }
  }

  /**
   * Reads and verifies a registration: signed by {@code registry}, naming this model and version,
   * and its chain. Returns the chain; the caller verifies it.
   *
   * @throws VerificationException if the registration does not verify or does not match the row
   */
  public Chain chainOf(Registration r, Trust trust, String actor, String runId)
      throws IOException, VerificationException {
    return verifyRegistration(store, r, trust, actor, runId);
  }

  /**
   * Refuses a new version of {@code name} of another kind than its newest one: an imported model
   * after a trained one, or the reverse. The clients of a name send one model's inputs, and an
   * import under a trained model's name (or a run under an import's) would swap what they reach.
   *
   * @param imported whether the new version is an import
   * @throws BadInputException if the newest version of {@code name} is of the other kind
   */
  public void checkKind(String name, boolean imported, Trust trust, String actor, String runId)
      throws IOException, BastionException {
    Optional<Registration> last = latest(name);
    if (last.isEmpty()) {
      return;
    }
    boolean was = chainOf(last.get(), trust, actor, runId) instanceof ImportChain;
    if (was != imported) {
      throw new BadInputException("model '" + name + "' v" + last.get().version() + " is "
          + (was ? "an imported model" : "a trained model") + "; "
          + (imported ? "an import" : "a trained model") + " needs a name of its own");
    }
  }

  /**
   * Reads the registration {@code r.registration()} from {@code source} and verifies it: signed by
   * {@code registry}, naming model {@code r.model()}, name {@code r.name()} and version {@code
   * r.version()}. Returns the chain it signs; the caller verifies that. Needs no database, so an
   * exported evidence directory is checked with the same rules as a home.
   *
   * @throws VerificationException if the registration is missing, altered, not signed by {@code
   *     registry} or names another model or version
   */
  public static Chain verifyRegistration(
      ArtifactSource source, Registration r, Trust trust, String actor, String runId)
      throws IOException, VerificationException {
    byte[] bytes = source.get(r.registration(), actor, runId);
    Envelope env;
    try {
      env = Envelope.parse(bytes, "registration " + r.registration());
    } catch (BadInputException e) {
      throw new VerificationException(e.getMessage(), e);
    }
    Statement st =
        Statement.verify(env, trust, SIGNER, PREDICATE_TYPE, "registration of " + r.name());
    JsonNode p = st.predicate();
    if (!p.path("name").asText().equals(r.name()) || p.path("version").asInt() != r.version()
        || !st.onlySubject().equals(r.model())) {
      throw new VerificationException(
          "registration of " + r.name() + " v" + r.version()
              + ": the signed registration names another model or version");
    }
    if (!p.path("registered_at").asText().equals(r.registeredAt().toString())) {
      // The registry's row (or an export's chain.json) says when; the signature decides.
      throw new VerificationException("registration of " + r.name() + " v" + r.version()
          + ": registered at " + r.registeredAt() + " by the record, at "
          + Text.clip(p.path("registered_at").asText()) + " by the signed registration");
    }
    return Chain.fromJson(p.path("chain"));
  }

  @Override
  public void close() throws IOException {
    try {
      db.close();
    } catch (SQLException e) {
      throw new IOException("cannot close the registry database", e);
    }
  }
}
