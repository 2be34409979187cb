package dev.bastion.data;

import static dev.bastion.data.CsvFixtures.utf8;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The property of {@link SchemaFuzzTest} on seeded mutations of real schemas, in every build. */
class SchemaRandomInputTest {
  private static final String[] TOKENS = {
    "{", "}", "[", "]", ",", ":", "\"", "\"name\"", "\"label\"", "\"type\"", "\"values\"", "\"min\"",
    "\"max\"", "\"rows\"", "\"columns\"", "\"integer\"", "\"number\"", "\"categorical\"", "null", "true",
    "-1", "0", "1e400", "99999999999999999999", "\"NaN\"", "1.5", "\"\"", " ", "\\u0000", "\"class\"",
  };

  static LongStream seeds() {
    return LongStream.range(0, 40).map(i -> 0x5C4E_3AL + i);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void mutatedSchemasParseOrAreRefused(long seed) throws IOException {
    String credit = Files.readString(CsvFixtures.CREDIT.resolve("schema.json"));
    String small =
        """
        {"name":"s","label":"y","rows":{"min":1,"max":9},"columns":[
         {"name":"x","type":"number","min":0,"max":1},
         {"name":"y","type":"categorical","values":["a","b"]}]}
        """;
    Random rnd = new Random(seed);
    for (int i = 0; i < 100; i++) {
      String base = rnd.nextInt(4) == 0 ? credit : small;
      SchemaInvariants.assertParsesOrRefuses(utf8(mutate(rnd, base)));
    }
  }

  /** Replace, insert or delete whole JSON tokens at token boundaries, a few times. */
  static String mutate(Random rnd, String json) {
    List<String> parts = new ArrayList<>(List.of(json.split("(?<=[{}\\[\\],:])|(?=[{}\\[\\],:])")));
    for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
      int at = rnd.nextInt(parts.size());
      String t = TOKENS[rnd.nextInt(TOKENS.length)];
      switch (rnd.nextInt(3)) {
        case 0 -> parts.add(at, t);
        case 1 -> parts.remove(at);
        default -> parts.set(at, t);
      }
      if (parts.isEmpty()) {
        parts.add("{}");
      }
    }
    return String.join("", parts);
  }
}
