// The http layer in one include: requests, QueryDict, cookies, uploads and the response family.
#pragma once

#include "duet/http/body.hpp"
#include "duet/http/cookies.hpp"
#include "duet/http/encoding.hpp"
#include "duet/http/exceptions.hpp"
#include "duet/http/file_response.hpp"
#include "duet/http/headers.hpp"
#include "duet/http/json_response.hpp"
#include "duet/http/multipart.hpp"
#include "duet/http/multivaluedict.hpp"
#include "duet/http/querydict.hpp"
#include "duet/http/request.hpp"
#include "duet/http/response.hpp"
#include "duet/http/uploadedfile.hpp"
