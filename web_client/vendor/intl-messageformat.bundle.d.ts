// Types of intl-messageformat.bundle.js for the type checker (web_client/tools): the bundle is
// intl-messageformat's IntlMessageFormat.
export { IntlMessageFormat } from "intl-messageformat";
