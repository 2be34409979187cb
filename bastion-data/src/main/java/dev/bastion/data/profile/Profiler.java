package dev.bastion.data.profile;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Numbers;
import dev.bastion.data.Schema;
import dev.bastion.data.Validator;
import dev.bastion.data.sketch.Hashing;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Parses a CSV file once, row by row, and builds its {@link Profile}; given a schema it validates
 * the rows in the same pass, classifying each cell once for both. Memory is bounded by the sketch
 * sizes and the reader's limits, whatever the row count.
 */
public final class Profiler {
  /**
   * What one pass produced.
   *
   * @param profile the file's profile (one source: the file, its SHA-256, its rows)
   * @param validation the schema check, if a schema was given
   */
  public record Outcome(Profile profile, Optional<Validator.Result> validation) {}

  private Profiler() {}

  /** Profiles {@code file}. */
  public static Profile profile(Path file, CsvReader.Options options)
      throws BadInputException, IOException {
    return run(file, options, null).profile();
  }

  /**
   * Profiles {@code file} and, if {@code schema} is not null, validates it against the schema.
   *
   * <p>By default ({@value #DEFAULT_THREADS} in {@value #THREADS_PROPERTY}) the caller's thread
   * reads, parses, profiles and validates, while helpers hash the file's blocks and feed the
   * numbers' quantile sketches in row order; a file of at least {@value #SPLIT_BYTES} bytes is
   * read as two halves at once, each so, on its own thread, and their results merged (see {@link
   * CsvReader#streamSplit}: the same counts and issues, sketches merged from two). With {@code
   * -Dbastion.profile.threads=2} or {@code 3},
   * one thread reads and parses the CSV and checks the number grammar, and one or two consumers
   * profile and validate alternate batches of {@value #BATCH} rows each, through queues of at most
   * {@value #QUEUE} batches, so memory stays bounded (a few thousand rows in flight); the partial
   * profiles and validations are then merged. Each mode is deterministic (batch {@code i}
   * always goes to the same consumer); modes 1 and 2 give the same profile, mode 3 the same counts
   * and issues but sketches merged from two, equal to those within their error bounds.
   *
   * @throws BadInputException if the file is missing, too large or not CSV
   */
  public static Outcome run(Path file, CsvReader.Options options, Schema schema)
      throws BadInputException, IOException {
    return run(file, options, schema, SPLIT_BYTES);
  }

  /** As {@link #run(Path, CsvReader.Options, Schema)}, splitting files of {@code splitBytes}. */
  static Outcome run(Path file, CsvReader.Options options, Schema schema, long splitBytes)
      throws BadInputException, IOException {
    int threads = threads();
    if (threads <= 1 && size(file) >= splitBytes) {
      Optional<Outcome> split = runSplit(file, options, schema);
      if (split.isPresent()) {
        return split.get();
      }
    }
    MessageDigest sha = Digest.sha256();
    Visitor v = new Visitor(file.toString(), schema);
    if (threads <= 1) {
      try {
        long rows = new CsvReader(options).stream(file, v.inline(), sha);
        v.finish();
        return outcome(file, sha, rows, v);
      } finally {
        v.close();
      }
    }
    Visitor v2 = new Visitor(file.toString(), schema);
    Pipe pipe = new Pipe(threads == 2 ? 1 : 2);
    Thread reader = Thread.ofPlatform().name("bastion-csv-reader").daemon().unstarted(() -> {
      try {
        pipe.rows = new CsvReader(options).stream(file, pipe, sha);
        pipe.finish(null);
      } catch (InterruptedAbort e) {
        // the consumer stopped; nothing to report
      } catch (BadInputException | IOException | RuntimeException e) {
        pipe.finish(e);
      }
    });
    Exception[] helperError = {null};
    Thread helper = Thread.ofPlatform().name("bastion-profiler").daemon().unstarted(() -> {
      try {
        pipe.drain(v2, 1);
      } catch (BadInputException | IOException e) {
        // the same error reaches the main consumer, which reports it
      } catch (RuntimeException e) {
        helperError[0] = e;
        pipe.abort();
      }
    });
    reader.start();
    if (threads > 2) {
      helper.start();
    }
    try {
      pipe.drain(v, 0);
    } catch (IOException e) {
      if (helperError[0] == null) {
        throw e;
      }
    } finally {
      pipe.abort();
      reader.interrupt();
      try {
        reader.join();
        if (threads > 2) {
          helper.join();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (helperError[0] instanceof RuntimeException e) {
      throw e;
    }
    v.merge(v2);
    return outcome(file, sha, pipe.rows, v);
  }

  /**
   * Reads the file's two halves at once, each profiled (and validated) on its own thread as the
   * one-thread mode does, then merges the second into the first, its rows and lines shifted to
   * the file's. Empty if the file does not split (see {@link CsvReader#streamSplit}): the caller
   * then reads it whole, which names its first error exactly.
   */
  static Optional<Outcome> runSplit(Path file, CsvReader.Options options, Schema schema)
      throws IOException {
    MessageDigest sha = Digest.sha256();
    Visitor first = new Visitor(file.toString(), schema);
    Visitor second = new Visitor(file.toString(), schema);
    try {
      Optional<CsvReader.Split> split =
          new CsvReader(options).streamSplit(file, first.inline(), second.inline(), sha);
      if (split.isEmpty()) {
        return Optional.empty();
      }
      first.finish();
      second.finish();
      CsvReader.Split s = split.get();
      first.merge(second, s.firstRows(), s.firstLines());
      return Optional.of(outcome(file, sha, s.rows(), first));
    } finally {
      first.close();
      second.close();
    }
  }

  /**
   * Whether {@link #run(Path, CsvReader.Options, Schema)} reads a file of {@code size} bytes as two
   * halves at once, with the threads now configured (it may still read it whole: see {@link
   * CsvReader#streamSplit}).
   */
  public static boolean splits(long size) {
    return threads() <= 1 && size >= SPLIT_BYTES;
  }

  private static int threads() {
    return Integer.getInteger(THREADS_PROPERTY, DEFAULT_THREADS);
  }

  /** The file's size; -1 if it cannot be had, and reading it whole reports why. */
  private static long size(Path file) {
    try {
      return java.nio.file.Files.isRegularFile(file) ? java.nio.file.Files.size(file) : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  private static Outcome outcome(Path file, MessageDigest sha, long rows, Visitor v) {
    v.columns.forEach(ColumnProfile::flush); // before the profile is shared: no later writes
    Profile p = new Profile(rows,
        List.of(new Profile.Source(file.getFileName().toString(), Digest.ofRaw(sha.digest()),
            rows)),
        v.columns);
    return new Outcome(p, Optional.ofNullable(v.session).map(Validator.Session::finish));
  }

  /**
   * The system property choosing the threads: 1 (one thread does everything), 2 (a reader and a
   * profiler), 3 (a reader and two profilers taking alternate batches).
   */
  public static final String THREADS_PROPERTY = "bastion.profile.threads";

  static final int DEFAULT_THREADS = 1;

  /**
   * Files of at least this many bytes are read as two halves at once in the one-thread mode (see
   * {@link CsvReader#streamSplit}); a profile of a smaller file is exactly the one-pass profile.
   */
  public static final long SPLIT_BYTES = 8L << 20;

  /** Rows in one hand-over between the reader and the profiler. */
  static final int BATCH = 512;

  /** Batches queued at most. */
  static final int QUEUE = 4;

  /** Thrown inside the reader thread when the consumer has stopped. */
  private static final class InterruptedAbort extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InterruptedAbort() {
      super(null, null, false, false);
    }
  }

  private static final class Batch {
    final long[] rowNumbers = new long[BATCH];
    final long[] lines = new long[BATCH];
    String[][] cells = new String[BATCH][];
    int[][] kinds = new int[BATCH][];
    double[][] values = new double[BATCH][];
    long[][] hashes = new long[BATCH][];
    int size;
    boolean last;
    Exception error;
  }

  /** The hand-over: full batches one way, empty ones back for reuse. */
  private static final class Pipe implements CsvReader.RowVisitor {
    private static final int POOL = 2 * QUEUE + 4;

    private final List<java.util.concurrent.BlockingQueue<Batch>> full = List.of(
        new java.util.concurrent.ArrayBlockingQueue<Batch>(POOL),
        new java.util.concurrent.ArrayBlockingQueue<Batch>(POOL));
    private final java.util.concurrent.BlockingQueue<Batch> empty =
        new java.util.concurrent.ArrayBlockingQueue<>(POOL);
    private int next;
    private final int queues;
    private volatile boolean aborted;
    private List<String> header;
    private Batch current;
    volatile long rows;

    Pipe(int queues) {
      this.queues = queues;
      for (int i = 0; i < POOL; i++) {
        empty.add(new Batch());
      }
    }

    @Override
    public void header(List<String> columns) {
      header = columns;
      current = take(empty);
      current.last = false;
    }

    @Override
    public void row(long row, long line, String[] cells) {
      Batch b = current;
      int at = b.size;
      String[] copy = b.cells[at];
      if (copy == null || copy.length != cells.length) {
        copy = new String[cells.length];
        b.cells[at] = copy;
        b.kinds[at] = new int[cells.length];
        b.values[at] = new double[cells.length];
        b.hashes[at] = new long[cells.length];
      }
      System.arraycopy(cells, 0, copy, 0, cells.length);
      // The number grammar is checked here, while the characters are in this core's cache; the
      // text hashes are left to the profiling thread, which balances the two threads' work.
      int[] kinds = b.kinds[at];
      double[] values = b.values[at];
      long[] hashes = b.hashes[at];
      for (int i = 0; i < cells.length; i++) {
        int kind = Numbers.classify(cells[i], values, i);
        kinds[i] = kind;
        if (kind != Numbers.NOT_A_NUMBER) {
          hashes[i] = Hashing.hash(values[i]);
        }
      }
      b.rowNumbers[b.size] = row;
      b.lines[b.size] = line;
      if (++b.size == BATCH) {
        put(b);
        current = take(empty);
      }
    }

    /** Called by the reader at the end: hands over the last rows and the error, if any. */
    void finish(Exception error) {
      if (current != null && current.size > 0) {
        put(current);
        current = null;
      }
      for (int q = 0; q < queues; q++) {
        Batch b = q == 0 && current != null ? current : take(empty);
        b.last = true;
        b.error = error;
        while (true) {
          try {
            if (full.get(q).offer(b, 100, java.util.concurrent.TimeUnit.MILLISECONDS) || aborted) {
              break;
            }
          } catch (InterruptedException e) {
            throw new InterruptedAbort();
          }
        }
      }
      current = null;
    }

    void drain(Visitor v, int queue) throws BadInputException, IOException {
      boolean started = false;
      while (true) {
        Batch b;
        try {
          b = full.get(queue).poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
          if (b == null) {
            if (aborted) {
              throw new IOException("profiling stopped");
            }
            continue;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while profiling", e);
        }
        if (!started && header != null) {
          v.header(header);
          started = true;
        }
        for (int i = 0; i < b.size; i++) {
          v.row(b.rowNumbers[i], b.lines[i], b.cells[i], b.kinds[i], b.values[i], b.hashes[i]);
        }
        Exception error = b.error;
        boolean last = b.last;
        b.size = 0;
        b.error = null;
        b.last = false;
        empty.add(b);
        if (last) {
          if (error instanceof BadInputException e) {
            throw e;
          }
          if (error instanceof IOException e) {
            throw e;
          }
          if (error instanceof RuntimeException e) {
            throw e;
          }
          return;
        }
      }
    }

    void abort() {
      aborted = true;
    }

    private Batch take(java.util.concurrent.BlockingQueue<Batch> q) {
      try {
        while (true) {
          Batch b = q.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
          if (b != null) {
            return b;
          }
          if (aborted) {
            throw new InterruptedAbort();
          }
        }
      } catch (InterruptedException e) {
        throw new InterruptedAbort();
      }
    }

    private void put(Batch b) {
      try {
        java.util.concurrent.BlockingQueue<Batch> q = full.get(next);
        next = (next + 1) % queues;
        while (!q.offer(b, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
          if (aborted) {
            throw new InterruptedAbort();
          }
        }
      } catch (InterruptedException e) {
        throw new InterruptedAbort();
      }
    }
  }

  private static final class Visitor {
    private final String name;
    private final Schema schema;
    private final List<ColumnProfile> columns = new ArrayList<>();
    private ColumnProfile[] byIndex = new ColumnProfile[0];
    private String[] canonical = new String[0];
    /** Per cell of the row at hand: whether it is one of its column's allowed categories. */
    private boolean[] allowed = new boolean[0];
    /** The quantile sketches' feed in the one-thread mode; null otherwise. */
    private NumberFeed feed;
    private Validator.Session session;

    Visitor(String name, Schema schema) {
      this.name = name;
      this.schema = schema;
    }

    /** A row visitor that classifies the cells itself, for the one-thread mode. */
    CsvReader.RowVisitor inline() {
      return new CsvReader.RowVisitor() {
        private int[] kinds = new int[0];
        private double[] values = new double[0];

        @Override
        public void header(List<String> columns) {
          Visitor.this.header(columns);
          feed = new NumberFeed(byIndex);
          for (ColumnProfile c : byIndex) {
            c.feedNumbers();
          }
          kinds = new int[columns.size()];
          values = new double[columns.size()];
        }

        @Override
        public void row(long row, long line, String[] cells) {
          // One loop: each cell is classified and profiled while it is at hand. A number's hash
          // is taken on the feed's thread (ColumnProfile.updateNumber).
          String[] same = canonical;
          boolean[] known = allowed;
          int[] k = kinds;
          double[] v = values;
          NumberFeed f = feed;
          for (int i = 0; i < cells.length; i++) {
            String cell = cells[i];
            int kind = Numbers.classify(cell, v, i);
            k[i] = kind;
            ColumnProfile c = byIndex[i];
            same[i] = c.add(cell, kind, v[i], 0L);
            known[i] = c.lastCanonical;
            if (kind != Numbers.NOT_A_NUMBER) {
              f.add(i, v[i]);
            }
          }
          if (session != null) {
            session.row(row, line, same, k, v, known);
          }
        }
      };
    }

    /** Adds {@code other}'s rows, which came after or between this one's. */
    void merge(Visitor other) {
      merge(other, 0, 0);
    }

    /**
     * Adds {@code other}'s rows, whose row and line numbers are to be shifted by {@code rows} and
     * {@code lines} to be the file's.
     */
    void merge(Visitor other, long rows, long lines) {
      if (other.byIndex.length == 0) {
        return;
      }
      for (int i = 0; i < byIndex.length; i++) {
        byIndex[i].merge(other.byIndex[i]);
      }
      if (session != null) {
        session.merge(other.session, rows, lines);
      }
    }

    void header(List<String> header) {
      header.forEach(h -> columns.add(new ColumnProfile(h)));
      byIndex = columns.toArray(new ColumnProfile[0]);
      canonical = new String[header.size()];
      allowed = new boolean[header.size()];
      if (schema != null) {
        session = Validator.start(schema, name, header);
        // A categorical cell is then the schema's own instance of its value, which the schema
        // check finds by identity.
        for (int i = 0; i < header.size(); i++) {
          schema.column(header.get(i))
              .filter(c -> c.type() == Schema.Type.CATEGORICAL)
              .map(c -> {
                var instances = new java.util.HashMap<String, String>();
                c.values().forEach(x -> instances.put(x, x));
                return instances;
              })
              .ifPresent(byIndex[i]::canonical);
        }
      }
    }

    /** Waits for the quantile sketches, if they are fed on another thread. */
    void finish() throws IOException {
      if (feed != null) {
        feed.finish();
      }
    }

    void close() {
      if (feed != null) {
        feed.close();
      }
    }

    void row(long row, long line, String[] cells, int[] kinds, double[] values, long[] hashes) {
      String[] same = canonical;
      boolean[] known = allowed;
      NumberFeed f = feed;
      for (int i = 0; i < cells.length; i++) {
        ColumnProfile c = byIndex[i];
        same[i] = c.add(cells[i], kinds[i], values[i], hashes[i]);
        known[i] = c.lastCanonical;
        if (f != null && kinds[i] != Numbers.NOT_A_NUMBER) {
          f.add(i, values[i]);
        }
      }
      if (session != null) {
        session.row(row, line, same, kinds, values, known);
      }
    }
  }
}
