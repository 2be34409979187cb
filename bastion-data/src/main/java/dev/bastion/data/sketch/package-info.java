/**
 * Mergeable, serialisable, bounded-memory sketches for data profiles: {@link
 * dev.bastion.data.sketch.KllSketch} (quantiles of doubles), {@link
 * dev.bastion.data.sketch.HyperLogLog} (distinct counts) and {@link
 * dev.bastion.data.sketch.FrequentItems} (Misra–Gries heavy hitters).
 *
 * <p>Why not Apache DataSketches, the default for this need: no release loads here. Measured:
 * datasketches-java 8.0.0 depends on datasketches-memory 6.0.0, compiled with Java 21 preview
 * features, which the JDK 25 runtime refuses to load; 7.0.1 needs {@code jdk.incubator.foreign}
 * (removed from the JDK); 6.x refuses JDK 25 at class initialisation; 9.0.0 is compiled for Java 25
 * (class version 69) while Bastion targets Java 21. These sketches are written from the published
 * algorithms (Karnin–Lang–Liberty 2016; Flajolet et al. 2007; Misra–Gries 1982 with the merge of
 * Agarwal et al. 2012), tested against exact answers, and can be swapped for DataSketches when a
 * release runs on the project's JDKs.
 *
 * <p>Every {@code fromBytes} treats its input as untrusted: it checks the format, the limits and
 * the sketch's invariants and throws {@link dev.bastion.core.BadInputException} otherwise.
 * Serialisation is canonical: {@code fromBytes(b).toBytes()} equals {@code b}.
 */
package dev.bastion.data.sketch;
