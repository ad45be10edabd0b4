// reliability_reader_holder DATA_DIR: opens the store read-only with plain LMDB (as an
// external tool such as mdb_dump would), begins one read transaction, prints
// "holding txnid=N" and keeps it open until stdin closes. The FM-12 long-lived reader.
#include <lmdb.h>

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: reliability_reader_holder DATA_DIR\n");
    return 2;
  }
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  int rc = mdb_env_create(&env);
  if (rc == MDB_SUCCESS) rc = mdb_env_set_maxdbs(env, 16);
  if (rc == MDB_SUCCESS) rc = mdb_env_set_maxreaders(env, 512);
  if (rc == MDB_SUCCESS) rc = mdb_env_open(env, argv[1], MDB_RDONLY | MDB_NOTLS, 0600);
  if (rc == MDB_SUCCESS) rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
  if (rc != MDB_SUCCESS) {
    std::fprintf(stderr, "reader_holder: %s\n", mdb_strerror(rc));
    return 1;
  }
  std::printf("holding txnid=%zu\n", mdb_txn_id(txn));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return 0;
}
