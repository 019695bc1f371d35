ecrd_unit_test(http server_http PkgConfig::LIBEVENT)
