package dev.bastion.data.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Validator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The one-pass check (the profiler validating as it profiles, with its shortcuts for categories it
 * has already found among the schema's values), in each of its thread modes and reading the file
 * as two halves at once, reports exactly what
 * the table validator reports,
 * on seeded rows mixing allowed categories, another column's categories, near misses, empty cells,
 * numbers in and out of range and, for some seeds, more distinct values than the profiler counts
 * aside.
 */
class ProfilerValidationTest {
  private static final String SCHEMA =
      """
      {
        "name": "t", "label": "label", "rows": {"min": 1, "max": 100000},
        "columns": [
          {"name": "id", "type": "integer", "min": 1, "max": 1000},
          {"name": "colour", "type": "categorical", "values": ["red", "green", "blue"]},
          {"name": "label", "type": "categorical", "values": ["yes", "no"]},
          {"name": "score", "type": "number", "min": 0, "max": 1}
        ]
      }
      """;

  private static final String[] TEXT = {
    "red", "green", "blue", "yes", "no", "Red", "red ", "", "1", "gree", "blue\u00e9", "0.5"
  };

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void theOnePassCheckFindsWhatTheTableCheckFinds(long seed) throws Exception {
    Random r = new Random(seed);
    boolean manyValues = seed % 2 == 0;
    StringBuilder csv = new StringBuilder("label,score,colour,id\n");
    int rows = 500 + r.nextInt(2000);
    for (int i = 0; i < rows; i++) {
      String label = r.nextInt(10) < 8 ? (r.nextBoolean() ? "yes" : "no") : pick(r, manyValues);
      String colour = r.nextInt(10) < 8 ? TEXT[r.nextInt(3)] : pick(r, manyValues);
      String score = r.nextInt(10) < 8 ? Double.toString(r.nextDouble()) : pick(r, manyValues);
      String id = r.nextInt(10) < 8 ? Integer.toString(1 + r.nextInt(1000))
          : Integer.toString(r.nextInt(3000) - 1000);
      csv.append(label).append(',').append(score).append(',').append(colour).append(',')
          .append(id).append('\n');
    }
    Path f = Files.writeString(tmp.resolve("t.csv"), csv, StandardCharsets.UTF_8);
    Schema schema = Schema.parse(SCHEMA.getBytes(StandardCharsets.UTF_8), "schema.json");

    Validator.Result table = Validator.validate(new CsvReader().read(f), schema);
    // Every mode: one thread, a reader and a profiler, a reader and two profilers.
    for (int threads = 1; threads <= 3; threads++) {
      System.setProperty(Profiler.THREADS_PROPERTY, Integer.toString(threads));
      try {
        Validator.Result onePass =
            Profiler.run(f, CsvReader.Options.STREAMING, schema).validation().orElseThrow();
        assertThat(onePass.rows()).isEqualTo(table.rows());
        assertThat(onePass.invalidRows()).as("threads " + threads)
            .isEqualTo(table.invalidRows()).isPositive();
        assertThat(onePass.issueCount()).isEqualTo(table.issueCount());
        assertThat(withoutFile(onePass.issues())).isEqualTo(withoutFile(table.issues()));
      } finally {
        System.clearProperty(Profiler.THREADS_PROPERTY);
      }
    }
    // The file read as two halves at once: the second half's rows and lines shifted to the file's.
    Validator.Result split = Profiler.runSplit(f, CsvReader.Options.STREAMING, schema)
        .orElseThrow().validation().orElseThrow();
    assertThat(split.rows()).isEqualTo(table.rows());
    assertThat(split.invalidRows()).isEqualTo(table.invalidRows());
    assertThat(split.issueCount()).isEqualTo(table.issueCount());
    assertThat(withoutFile(split.issues())).isEqualTo(withoutFile(table.issues()));
  }

  private static String pick(Random r, boolean manyValues) {
    return manyValues && r.nextInt(3) == 0 ? "v" + r.nextInt(400) : TEXT[r.nextInt(TEXT.length)];
  }

  private static List<String> withoutFile(List<Validator.Issue> issues) {
    return issues.stream()
        .map(i -> i.line() + "|" + i.row() + "|" + i.column() + "|" + i.message())
        .toList();
  }
}
