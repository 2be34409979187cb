package dev.bastion.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import dev.bastion.core.InputFiles;
import dev.bastion.core.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Query budgets: how many predictions each identity may ask of one model per day (UTC). The counts
 * are kept in a file ({@code budgets.json}) written atomically at most once a second while they
 * change and at close, and read back at start, so a restart does not give anyone a fresh budget;
 * a crash loses at most the last second's counts, which the rate limit bounds. The file keeps the
 * day's counts of every model served from the home, so serving another model in between resets
 * nothing; and one gateway at a time holds it (a lock beside it, for the gateway's life), so two
 * gateways on one home cannot each grant the whole budget.
 */
final class QueryBudgets implements AutoCloseable {
  /** Counts kept in one file: beyond it, the file is refused rather than read. */
  static final int MAX_IDENTITIES = 100_000;

  private final long perDay;
  private final String model;
  private final Optional<Path> file;
  private final Clock clock;
  private LocalDate day;
  private final Map<String, Long> used = new TreeMap<>();
  /** Today's counts of the other models in the file, written back as they were read. */
  private final Map<String, JsonNode> others = new TreeMap<>();
  private boolean dirty;
  private long lastWrite;
  private final FileChannel lockChannel;
  private final FileLock lock;

  /**
   * Budgets of {@code perDay} predictions per identity for {@code model}, kept in {@code file}.
   *
   * @throws BadInputException if the file exists and is not a budget file, or another gateway
   *     holds it
   */
  QueryBudgets(long perDay, String model, Optional<Path> file, Clock clock)
      throws BadInputException, IOException {
    this.perDay = perDay;
    this.model = model;
    this.file = file;
    this.clock = clock;
    this.day = today();
    if (file.isEmpty()) {
      lockChannel = null;
      lock = null;
      return;
    }
    Path f = file.get();
    Files.createDirectories(f.getParent());
    Path lockFile = f.resolveSibling(f.getFileName() + ".lock");
    lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock held;
    try {
      held = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      held = null; // a gateway of this process holds it
    } catch (IOException | RuntimeException e) {
      lockChannel.close();
      throw e;
    }
    if (held == null) {
      lockChannel.close();
      throw new BadInputException(f.getParent() + ": another gateway is serving from this home"
          + " (it holds " + lockFile.getFileName() + "); stop it first: budgets are counted by"
          + " one gateway at a time");
    }
    lock = held;
    try {
      if (Files.exists(f)) {
        load(f);
      }
    } catch (BadInputException | IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private LocalDate today() {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  /**
   * Reads the day's counts: {@code {"day":D,"models":{MODEL:{"per_day":N,"used":{ID:N}}}}}, or the
   * one-model form of earlier versions, {@code {"model":M,"day":D,"per_day":N,"used":{...}}}.
   */
  private void load(Path f) throws BadInputException, IOException {
    String where = f.toString();
    JsonNode root = Json.parse(InputFiles.read(f, "budget file", 16L << 20), where);
    LocalDate stored;
    try {
      stored = LocalDate.parse(root.path("day").asText(""));
    } catch (java.time.format.DateTimeParseException e) {
      throw new BadInputException(where + ": 'day' is not a date", e);
    }
    if (!stored.equals(day)) {
      return; // yesterday's counts: a new day, fresh budgets
    }
    Map<String, JsonNode> models = new TreeMap<>();
    if (root.has("models")) {
      if (!root.path("models").isObject()) {
        throw new BadInputException(where + ": 'models' must be an object");
      }
      root.path("models").properties().forEach(e -> models.put(e.getKey(), e.getValue()));
    } else {
      models.put(root.path("model").asText(""), root);
    }
    for (Map.Entry<String, JsonNode> m : models.entrySet()) {
      Map<String, Long> counts = counts(m.getValue().path("used"), where + ": " + m.getKey());
      if (m.getKey().equals(model)) {
        used.putAll(counts);
      } else {
        others.put(m.getKey(), m.getValue());
      }
    }
  }

  private static Map<String, Long> counts(JsonNode u, String where) throws BadInputException {
    if (!u.isObject() || u.size() > MAX_IDENTITIES) {
      throw new BadInputException(where + ": 'used' must be an object of at most "
          + MAX_IDENTITIES + " counts");
    }
    Map<String, Long> counts = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : u.properties()) {
      if (!e.getValue().canConvertToLong() || e.getValue().asLong() < 0) {
        throw new BadInputException(where + ": used." + e.getKey() + " is not a count");
      }
      counts.put(e.getKey(), e.getValue().asLong());
    }
    return counts;
  }

  /**
   * Why a request was refused: what is left of the budget today (less than it asked for), and the
   * seconds until it renews (next UTC midnight).
   */
  record Refusal(long left, long renewsInSeconds) {}

  /**
   * Takes {@code n} predictions from {@code identity}'s budget, all or none.
   *
   * @return empty if allowed; otherwise what is left and when the budget renews
   */
  synchronized Optional<Refusal> take(String identity, long n) {
    if (n < 0) {
      throw new IllegalArgumentException("a negative number of predictions");
    }
    LocalDate now = renew();
    long spent = used.getOrDefault(identity, 0L);
    if (n > perDay - spent || spent >= perDay) {
      return Optional.of(refusal(now, spent));
    }
    used.put(identity, spent + n);
    dirty = true;
    return Optional.empty();
  }

  /**
   * Whether {@code identity} has anything left today, without taking any: a request is refused
   * before its body is read when nothing is.
   */
  synchronized Optional<Refusal> check(String identity) {
    LocalDate now = renew();
    long spent = used.getOrDefault(identity, 0L);
    return spent >= perDay ? Optional.of(refusal(now, spent)) : Optional.empty();
  }

  /** The budgets' day: a new one clears yesterday's counts. */
  private LocalDate renew() {
    LocalDate now = today();
    if (!now.equals(day)) {
      day = now;
      used.clear();
      others.clear();
      dirty = true;
    }
    return now;
  }

  private Refusal refusal(LocalDate now, long spent) {
    Instant midnight = now.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    return new Refusal(Math.max(0, perDay - spent),
        Math.max(1, Duration.between(clock.instant(), midnight).toSeconds()));
  }

  /** How many predictions {@code identity} has used today. */
  synchronized long used(String identity) {
    return today().equals(day) ? used.getOrDefault(identity, 0L) : 0;
  }

  /** Writes the counts if they changed and a second has passed since the last write. */
  synchronized void flushIfDue() throws IOException {
    long now = System.nanoTime();
    if (dirty && now - lastWrite >= 1_000_000_000L) {
      write();
      lastWrite = now;
    }
  }

  /** Writes the counts if they changed. */
  synchronized void flush() throws IOException {
    if (dirty) {
      write();
    }
  }

  private void write() throws IOException {
    if (file.isEmpty()) {
      dirty = false;
      return;
    }
    ObjectNode o = Json.object();
    o.put("day", day.toString());
    ObjectNode models = o.putObject("models");
    others.forEach((m, counts) -> {
      ObjectNode c = models.putObject(m);
      if (counts.path("per_day").canConvertToLong()) {
        c.put("per_day", counts.path("per_day").asLong());
      }
      c.set("used", counts.path("used")); // checked when read
    });
    ObjectNode mine = models.putObject(model);
    mine.put("per_day", perDay);
    ObjectNode u = mine.putObject("used");
    used.forEach(u::put);
    Files.createDirectories(file.get().getParent());
    AtomicFiles.write(file.get(), Json.canonical(o));
    dirty = false;
  }

  /** Writes the counts if they changed, and lets another gateway have the file. */
  @Override
  public synchronized void close() throws IOException {
    try {
      if (lock != null && lock.isValid()) {
        flush();
      }
    } finally {
      if (lockChannel != null) {
        lockChannel.close(); // releases the lock
      }
    }
  }
}
