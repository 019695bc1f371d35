ecrd_unit_test(http server_http PkgConfig::LIBEVENT)
ecrd_unit_test(pool server_pool PkgConfig::LIBEVENT)
ecrd_unit_test(jobs server_jobs PkgConfig::LIBEVENT)
ecrd_unit_test(linefile server_linefile PkgConfig::LIBEVENT)
