/**
 * The one door to Vant: each component brings only its own styles, so the phone downloads the
 * CSS of what the portal shows rather than the whole library's. Import Vant from here only (the
 * shared pages of @zhgh/mobile bring their own).
 */
import 'vant/es/action-sheet/style/index';
import 'vant/es/badge/style/index';
import 'vant/es/button/style/index';
import 'vant/es/cell/style/index';
import 'vant/es/cell-group/style/index';
import 'vant/es/config-provider/style/index';
import 'vant/es/empty/style/index';
import 'vant/es/field/style/index';
import 'vant/es/grid/style/index';
import 'vant/es/grid-item/style/index';
import 'vant/es/icon/style/index';
import 'vant/es/loading/style/index';
import 'vant/es/nav-bar/style/index';
import 'vant/es/step/style/index';
import 'vant/es/steps/style/index';
import 'vant/es/notice-bar/style/index';
import 'vant/es/tab/style/index';
import 'vant/es/tabbar/style/index';
import 'vant/es/tabbar-item/style/index';
import 'vant/es/tabs/style/index';
import 'vant/es/tag/style/index';
import 'vant/es/toast/style/index';

export {
  ActionSheet,
  type ActionSheetAction,
  Badge,
  Button,
  Cell,
  CellGroup,
  ConfigProvider,
  type ConfigProviderThemeVars,
  Empty,
  Field,
  Grid,
  GridItem,
  Icon,
  Loading,
  NavBar,
  NoticeBar,
  showFailToast,
  showSuccessToast,
  showToast,
  Step,
  Steps,
  Tab,
  Tabbar,
  TabbarItem,
  Tabs,
  Tag,
} from 'vant';
