package dev.bastion.data.profile;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Numbers;
import dev.bastion.data.Schema;
import dev.bastion.data.Validator;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a CSV file once, row by row, and builds its {@link Profile}; given a schema it validates
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
   * <p>Two threads share the work: one reads and parses the CSV, the caller's thread profiles and
   * validates the rows, handed over in batches of {@value #BATCH} rows through a queue of {@value
   * #QUEUE} batches, so memory stays bounded (a few thousand rows in flight).
   *
   * @throws BadInputException if the file is missing, too large or not CSV
   */
  public static Outcome run(Path file, CsvReader.Options options, Schema schema)
      throws BadInputException, IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    Visitor v = new Visitor(file.toString(), schema);
    Pipe pipe = new Pipe();
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
    reader.start();
    try {
      pipe.drain(v);
    } finally {
      pipe.abort();
      reader.interrupt();
      try {
        reader.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    long rows = pipe.rows;
    Profile p = new Profile(rows,
        List.of(new Profile.Source(file.getFileName().toString(), Digest.ofRaw(sha.digest()),
            rows)),
        v.columns);
    return new Outcome(p, Optional.ofNullable(v.session).map(Validator.Session::finish));
  }

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
    int size;
    boolean last;
    Exception error;
  }

  /** The hand-over: full batches one way, empty ones back for reuse. */
  private static final class Pipe implements CsvReader.RowVisitor {
    private final java.util.concurrent.BlockingQueue<Batch> full =
        new java.util.concurrent.ArrayBlockingQueue<>(QUEUE + 2);
    private final java.util.concurrent.BlockingQueue<Batch> empty =
        new java.util.concurrent.ArrayBlockingQueue<>(QUEUE + 2);
    private volatile boolean aborted;
    private List<String> header;
    private Batch current;
    volatile long rows;

    Pipe() {
      for (int i = 0; i < QUEUE + 2; i++) {
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
      String[] copy = b.cells[b.size];
      if (copy == null || copy.length != cells.length) {
        copy = new String[cells.length];
        b.cells[b.size] = copy;
      }
      System.arraycopy(cells, 0, copy, 0, cells.length);
      b.rowNumbers[b.size] = row;
      b.lines[b.size] = line;
      if (++b.size == BATCH) {
        put(b);
        current = take(empty);
      }
    }

    /** Called by the reader at the end: hands over the last rows and the error, if any. */
    void finish(Exception error) {
      Batch b = current != null ? current : take(empty);
      current = null;
      b.last = true;
      b.error = error;
      put(b);
    }

    void drain(Visitor v) throws BadInputException, IOException {
      boolean started = false;
      while (true) {
        Batch b;
        try {
          b = full.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while profiling", e);
        }
        if (!started && header != null) {
          v.header(header);
          started = true;
        }
        for (int i = 0; i < b.size; i++) {
          v.row(b.rowNumbers[i], b.lines[i], b.cells[i]);
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
        while (!full.offer(b, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
          if (aborted) {
            throw new InterruptedAbort();
          }
        }
      } catch (InterruptedException e) {
        throw new InterruptedAbort();
      }
    }
  }

  private static final class Visitor implements CsvReader.RowVisitor {
    private final String name;
    private final Schema schema;
    private final List<ColumnProfile> columns = new ArrayList<>();
    private ColumnProfile[] byIndex = new ColumnProfile[0];
    private Validator.Session session;
    private int[] kinds = new int[0];
    private double[] values = new double[0];

    Visitor(String name, Schema schema) {
      this.name = name;
      this.schema = schema;
    }

    @Override
    public void header(List<String> header) {
      header.forEach(h -> columns.add(new ColumnProfile(h)));
      byIndex = columns.toArray(new ColumnProfile[0]);
      kinds = new int[header.size()];
      values = new double[header.size()];
      if (schema != null) {
        session = Validator.start(schema, name, header);
      }
    }

    @Override
    public void row(long row, long line, String[] cells) {
      for (int i = 0; i < cells.length; i++) {
        int kind = Numbers.classify(cells[i], values, i);
        kinds[i] = kind;
        byIndex[i].add(cells[i], kind, values[i]);
      }
      if (session != null) {
        session.row(row, line, cells, kinds, values);
      }
    }
  }
}
