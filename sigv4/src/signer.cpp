#include "edgeroute/sigv4.h"
