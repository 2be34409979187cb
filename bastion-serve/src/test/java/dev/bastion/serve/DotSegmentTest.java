package dev.bastion.serve;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DotSegmentTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "/v1/models/a/../b:predict, true",
    "/v1/models/./b, true",
    "/.., true",
    "/., true",
    "/a/.., true",
    "/a/..;x/b, true",
    "/a/.;p, true",
    "/v1/models/credit-risk:predict, false",
    "/v1/models/a.b, false",
    "/..., false",
    "/a/.hidden, false",
    "/a/b.., false",
    "/healthz, false",
    "/, false",
    "'', false",
  })
  void dotSegmentsAreFoundWhereverTheyAre(String path, boolean dot) {
    assertThat(Gateway.hasDotSegment(path)).isEqualTo(dot);
  }
}
