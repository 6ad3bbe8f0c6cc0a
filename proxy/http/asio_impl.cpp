// Asio and Beast compiled once for the whole binary (BOOST_*_SEPARATE_COMPILATION),
// so files that use them only include declarations; Asio's SSL layer likewise.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
