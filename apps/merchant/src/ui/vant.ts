/**
 * The one door to Vant: each component brings only its own styles, so a counter's phone
 * downloads the CSS of what the merchant end shows. Import Vant from here only (the shared
 * pages of @zhgh/mobile bring their own).
 */
import 'vant/es/button/style/index';
import 'vant/es/cell/style/index';
import 'vant/es/cell-group/style/index';
import 'vant/es/config-provider/style/index';
import 'vant/es/empty/style/index';
import 'vant/es/field/style/index';
import 'vant/es/icon/style/index';
import 'vant/es/nav-bar/style/index';
import 'vant/es/notice-bar/style/index';
import 'vant/es/toast/style/index';

export {
  Button,
  Cell,
  CellGroup,
  ConfigProvider,
  type ConfigProviderThemeVars,
  Empty,
  Field,
  Icon,
  NavBar,
  NoticeBar,
  showFailToast,
  showSuccessToast,
  showToast,
} from 'vant';
