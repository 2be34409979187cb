/**
 * The transparency log underneath the ledger, built on the public formats: RFC 9162 Merkle tree
 * hashing and proof verification ({@link dev.bastion.ledger.tlog.Rfc9162}); a file-backed tree that
 * serves roots, inclusion proofs and consistency proofs for every past size in bounded memory
 * ({@link dev.bastion.ledger.tlog.TreeStore}); C2SP tlog-checkpoint bodies ({@link
 * dev.bastion.ledger.tlog.Checkpoint}) and C2SP signed notes with Ed25519 and {@code
 * cosignature/v1} witness signatures ({@link dev.bastion.ledger.tlog.NoteSigner}, {@link
 * dev.bastion.ledger.tlog.NoteVerifier}); and a witness that cosigns a log's checkpoints only as
 * the log grows ({@link dev.bastion.ledger.tlog.Witness}), from requests in the C2SP tlog-witness
 * {@code add-checkpoint} format ({@link dev.bastion.ledger.tlog.AddCheckpoint}).
 */
package dev.bastion.ledger.tlog;
